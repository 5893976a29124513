from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PointsConfig(AppConfig):
    name = "shanzhi.points"
    label = "points"
    verbose_name = _("Points and the points shop")

    def ready(self) -> None:
        from shanzhi.points import pages, permissions  # noqa: F401

        pages.register()
