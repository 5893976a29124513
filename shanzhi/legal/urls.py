from django.urls import path

from shanzhi.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("figures/", views.figures, name="figures"),
    path("village/<str:code>/", views.village, name="village"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
