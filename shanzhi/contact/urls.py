from django.urls import path

from shanzhi.contact import views

app_name = "contact"
urlpatterns = [
    path("", views.index, name="index"),
    path("visits/", views.visits, name="visits"),
    path("visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:pk>/", views.visit, name="visit"),
    path("visits/<int:pk>/photo/", views.visit_photo, name="visit_photo"),
    path("visits/<int:pk>/start/<slug:kind>/", views.visit_follow_up, name="visit_follow_up"),
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("reports/<int:pk>/", views.report, name="report"),
    path("reports/<int:pk>/<slug:step>/", views.report_act, name="report_act"),
    path("coverage/", views.coverage, name="coverage"),
    path("assign/", views.assign, name="assign"),
    path("assignments/<int:pk>/end/", views.assignment_end, name="assignment_end"),
    path("quarters/", views.quarters, name="quarters"),
    path("policy/", views.policy, name="policy"),
    path("community/", views.community, name="community"),
    path("register/", views.member_register, name="member_register"),
    path("units/", views.units, name="units"),
    path("units/<int:pk>/", views.unit, name="unit"),
    path("wishes/", views.wishes, name="wishes"),
    path("wishes/new/", views.wish_new, name="wish_new"),
    path("wishes/<int:pk>/", views.wish, name="wish"),
    path("wishes/<int:pk>/photo/", views.wish_photo, name="wish_photo"),
    path("wishes/<int:pk>/<slug:step>/", views.wish_act, name="wish_act"),
]
