from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "shanzhi.people"
    label = "people"
    verbose_name = _("People and roles")

    def ready(self) -> None:
        from shanzhi.people import permissions  # noqa: F401  (registers scope policies)
