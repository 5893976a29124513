from django.urls import path

from shanzhi.web import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("map/", views.map_index, name="map"),
    path("map/<str:code>/", views.region, name="region"),
    path("map/<str:code>/coverage/", views.coverage, name="coverage"),
    path("search/", views.search, name="search"),
    path("households/<int:pk>/", views.household, name="household"),
    path("residents/<int:pk>/reveal-id/", views.reveal_id, name="reveal_id"),
]
