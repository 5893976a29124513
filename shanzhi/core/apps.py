from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "shanzhi.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib import admin

        from shanzhi.core import security  # also connects login throttling's signal receivers

        admin.site.login_form = security.admin_login_form()
