from django.urls import path

from referrals import views

app_name = "referrals"
urlpatterns = [
    path("", views.referral_list, name="list"),
    path("pull-list/", views.pull_list, name="pull_list"),
    path("pull-list/not-referred/", views.pull_list_not_referred, name="pull_list_not_referred"),
    path("pull-list/in-hospital/", views.pull_list_in_hospital, name="pull_list_in_hospital"),
    path("raise/<int:spell_id>/", views.referral_raise, name="raise"),
    path("discharge/<int:spell_id>/", views.discharge, name="discharge"),
    path("<int:pk>/", views.referral_detail, name="detail"),
    path("<int:pk>/decide/", views.referral_decision_form, name="decision_form"),
    path("<int:pk>/accept/", views.referral_accept, name="accept"),
    path("<int:pk>/decline/", views.referral_decline, name="decline"),
    path("<int:pk>/redirect/", views.referral_redirect, name="redirect"),
    path("<int:pk>/withdraw/", views.referral_withdraw, name="withdraw"),
    path("<int:pk>/complete/", views.referral_complete, name="complete"),
]
