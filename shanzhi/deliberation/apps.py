from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "shanzhi.deliberation"
    label = "deliberation"
    verbose_name = _("Deliberation and disclosure")

    def ready(self) -> None:
        from shanzhi.deliberation import cards, indicators, permissions  # noqa: F401  (registers policies and parts)

        cards.register()
        indicators.register_builtin()
