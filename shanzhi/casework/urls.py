from django.urls import path

from shanzhi.casework import views

app_name = "casework"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("stats/", views.stats, name="stats"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/follow/", views.follow, name="follow"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
