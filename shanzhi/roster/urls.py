from django.urls import path

from shanzhi.roster import views

app_name = "roster"
urlpatterns = [
    path("import/", views.import_page, name="import"),
    path("rejects/<str:name>", views.rejects_download, name="rejects"),
    path("export/", views.export_download, name="export"),
    path("template.xlsx", views.template_download, name="template"),
]
