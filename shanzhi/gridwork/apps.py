from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "shanzhi.gridwork"
    label = "gridwork"
    verbose_name = _("Grid work")

    def ready(self) -> None:
        from shanzhi.gridwork import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
