from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CaseworkConfig(AppConfig):
    name = "shanzhi.casework"
    label = "casework"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from shanzhi.casework import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
