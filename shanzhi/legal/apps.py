from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LegalConfig(AppConfig):
    name = "shanzhi.legal"
    label = "legal"
    verbose_name = _("Rule of law and supervision")

    def ready(self) -> None:
        from shanzhi.legal import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
