from django.urls import path

from shanzhi.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("on-the-spot/", views.on_the_spot, name="on_the_spot"),
    path("screening/", views.screening, name="screening"),
    path("stats/", views.stats, name="stats"),
    path("agreements/<int:pk>/pdf/", views.agreement_pdf, name="agreement_pdf"),
    path("petitions/", views.petitions, name="petitions"),
    path("petitions/new/", views.petition_new, name="petition_new"),
    path("petitions/schedule/", views.petition_schedule, name="petition_schedule"),
    path("petitions/<int:pk>/", views.petition, name="petition"),
    path("petitions/<int:pk>/<slug:action>/", views.petition_act, name="petition_act"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.act, name="act"),
]
