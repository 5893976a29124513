from django.apps import AppConfig


class WfappConfig(AppConfig):
    name = "tests.core.wfapp"
    label = "wfapp"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from shanzhi.core import access, roles
        from tests.core.wfapp.models import Case

        access.register(Case, region_field="region_path", household_field="household_id")
        access.allow(roles.ALL_STAFF - roles.DEPARTMENT, ["case.view"])
        access.allow(roles.GRID_TEAM, ["case.dispatch"])
        access.allow(roles.GOVERNMENT | roles.VILLAGE_CADRES, ["case.handle", "case.close"])
        access.allow([roles.RESIDENT], ["case.view", "case.confirm"])
