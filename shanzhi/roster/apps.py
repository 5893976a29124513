from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RosterConfig(AppConfig):
    name = "shanzhi.roster"
    label = "roster"
    verbose_name = _("Roster import and export")

    def ready(self) -> None:
        from shanzhi.roster import pages

        pages.register()
