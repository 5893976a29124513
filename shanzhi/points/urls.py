from django.urls import path

from shanzhi.points import views

app_name = "points"
urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.my_points, name="me"),
    path("households/<int:pk>/card/", views.household_card, name="card"),
    path("households/<int:pk>/card.svg", views.household_card_svg, name="card_svg"),
    path("propose/", views.propose, name="propose"),
    path("bulk/", views.bulk, name="bulk"),
    path("awards/", views.awards, name="awards"),
    path("awards/<int:pk>/", views.award_detail, name="award"),
    path("awards/<int:pk>/evidence", views.evidence, name="evidence"),
    path("awards/<int:pk>/<str:step>/", views.award_step, name="award_step"),
    path("batches/<int:pk>/approve/", views.batch_approve, name="batch_approve"),
    path("review/", views.review, name="review"),
    path("rules/<str:code>/", views.rules, name="rules"),
    path("ranking/<str:code>/", views.ranking, name="ranking"),
    path("board/<str:code>/", views.board, name="board"),
    path("quarter/<str:code>/", views.quarter, name="quarter"),
    path("settings/<str:code>/", views.village_settings, name="settings"),
    path("figures/<str:code>/", views.figures, name="figures"),
    path("shops/", views.shops, name="shops"),
    path("shops/<int:pk>/", views.shop, name="shop"),
    path("shops/<int:pk>/counter/", views.counter, name="counter"),
    path("shops/<int:pk>/stock/", views.stock, name="stock"),
    path("redemptions/<int:pk>/", views.receipt, name="receipt"),
    path("splits/", views.splits, name="splits"),
    path("splits/<int:pk>/", views.split, name="split"),
    path("splits/<int:pk>/export.xlsx", views.split_export, name="split_export"),
]
