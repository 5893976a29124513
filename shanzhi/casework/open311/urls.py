from django.urls import re_path

from shanzhi.casework.open311 import views

FMT = r"\.(?P<fmt>json|xml)$"

app_name = "open311"
urlpatterns = [
    re_path(r"^discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^services" + FMT, views.service_list, name="services"),
    re_path(r"^services/(?P<code>[A-Za-z0-9_-]{1,64})" + FMT, views.service_definition, name="service"),
    re_path(r"^requests" + FMT, views.requests_view, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/.]{1,40})" + FMT, views.request_one, name="request"),
    re_path(r"^tokens/(?P<token_id>[^/.]{1,64})" + FMT, views.token, name="token"),
]
