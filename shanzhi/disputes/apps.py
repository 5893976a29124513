from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    name = "shanzhi.disputes"
    label = "disputes"
    verbose_name = _("Disputes and petitions")

    def ready(self) -> None:
        from shanzhi.disputes import pages, permissions  # noqa: F401  (scope policies, page parts)

        pages.register()
