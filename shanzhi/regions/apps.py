from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegionsConfig(AppConfig):
    name = "shanzhi.regions"
    label = "regions"
    verbose_name = _("Governance map")

    def ready(self) -> None:
        from shanzhi.regions import permissions  # noqa: F401  (registers scope policies)
