from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrganisationsConfig(AppConfig):
    name = "shanzhi.organisations"
    label = "organisations"
    verbose_name = _("Self-governance organisations")

    def ready(self) -> None:
        from shanzhi.organisations import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
