from django.urls import path

from shanzhi.command import views

app_name = "command"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("wall/", views.wall, name="wall"),
    path("wall.json", views.wall_json, name="wall_json"),
    path("list/<slug:figure>/", views.figure_list, name="list"),
    path("map/", views.region_map, name="map"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("report.pdf", views.report_pdf, name="report_pdf"),
    path("alerts/", views.alert_list, name="alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="alert"),
    path("alerts/<int:pk>/<slug:action>/", views.alert_act, name="alert_act"),
]
