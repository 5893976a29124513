from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContactConfig(AppConfig):
    name = "shanzhi.contact"
    label = "contact"
    verbose_name = _("Party-member household contact")

    def ready(self) -> None:
        from shanzhi.contact import pages, permissions  # noqa: F401  (scope policies, grants, page parts)

        pages.register()
