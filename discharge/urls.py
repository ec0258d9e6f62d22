from django.urls import path

from discharge import views

app_name = "discharge"
urlpatterns = [
    path("", views.ward_board, name="ward_board"),
    path("spells/<int:pk>/", views.spell_detail, name="spell_detail"),
    path("spells/<int:pk>/ward-round/", views.spell_ward_round, name="spell_ward_round"),
    path("spells/<int:pk>/pathway/", views.spell_pathway, name="spell_pathway"),
    path("spells/<int:pk>/follow-up/", views.spell_follow_up, name="spell_follow_up"),
    path("spells/<int:pk>/discharge-ready/", views.nctr_start, name="nctr_start"),
    path("spells/<int:pk>/meets-criteria/", views.nctr_end, name="nctr_end"),
    path("spells/<int:pk>/delay/", views.delay_set, name="delay_set"),
    path("spells/<int:pk>/transfer/", views.spell_transfer, name="spell_transfer"),
]
