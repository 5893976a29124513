from django.urls import path

from shanzhi.legal import views

app_name = "legal"
urlpatterns = [
    path("", views.index, name="index"),
    path("apply/", views.apply, name="apply"),
    path("mine/", views.my_applications, name="mine"),
    path("cases/", views.my_cases, name="cases"),
    path("figures/", views.figures, name="figures"),
    path("events/", views.events, name="events"),
    path("liaisons/", views.liaisons, name="liaisons"),
    path("liaisons/<int:pk>/", views.liaison, name="liaison"),
    path("lists/", views.power_lists, name="power_lists"),
    path("talks/", views.talks, name="talks"),
    path("admission/", views.admission, name="admission"),
    path("village/<str:code>/", views.village, name="village"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
