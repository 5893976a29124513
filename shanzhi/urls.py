from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from shanzhi.api import api
from shanzhi.core.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("roster/", include("shanzhi.roster.urls")),
    path("requests/", include("shanzhi.casework.urls")),
    path("open311/v2/", include("shanzhi.casework.open311.urls")),
    path("points/", include("shanzhi.points.urls")),
    path("disputes/", include("shanzhi.disputes.urls")),
    path("deliberation/", include("shanzhi.deliberation.urls")),
    path("contact/", include("shanzhi.contact.urls")),
    path("gridwork/", include("shanzhi.gridwork.urls")),
    path("organisations/", include("shanzhi.organisations.urls")),
    path("legal/", include("shanzhi.legal.urls")),
    path("command/", include("shanzhi.command.urls")),
    path("", include("shanzhi.web.urls")),
]
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
