from django.urls import path

from shanzhi.gridwork import views

app_name = "gridwork"
urlpatterns = [
    path("", views.index, name="index"),
    path("log/", views.log, name="log"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("updates/", views.updates, name="updates"),
    path("updates/new/", views.update_new, name="update_new"),
    path("updates/<int:pk>/", views.update, name="update"),
    path("updates/<int:pk>/<slug:step>/", views.update_act, name="update_act"),
    path("assessments/", views.assessments, name="assessments"),
    path("assessments/score/", views.assessment_edit, name="assessment_edit"),
    path("assessments/<int:pk>/", views.assessment, name="assessment"),
]
