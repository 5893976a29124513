from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommandConfig(AppConfig):
    name = "shanzhi.command"
    label = "command"
    verbose_name = _("Command centre")

    def ready(self) -> None:
        from shanzhi.command import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
