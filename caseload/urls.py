from django.urls import path

from caseload import today, views

app_name = "caseload"
urlpatterns = [
    path("triage/", views.triage, name="triage"),
    path("mine/", views.mine, name="mine"),
    path("today/", today.today, name="today"),
    path("team/", views.team, name="team"),
    path("search/", views.search, name="search"),
    path("patients/new/", views.patient_create, name="patient_create"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/episodes/new/", views.episode_create, name="episode_create"),
    path("patients/<int:pk>/access-history/", views.patient_access_history, name="patient_access_history"),
    path("access-history/", views.access_history_lookup, name="access_history_lookup"),
    path("episodes/<int:pk>/", views.episode_detail, name="episode_detail"),
    path("episodes/<int:pk>/allocate/", views.episode_allocate, name="episode_allocate"),
    path("episodes/<int:pk>/allocate/form/", views.episode_allocate_form, name="episode_allocate_form"),
    path("episodes/<int:pk>/reallocate/", views.episode_reallocate, name="episode_reallocate"),
    path("episodes/<int:pk>/contacts/new/", views.contact_record, name="contact_record"),
    path("episodes/<int:pk>/goals/new/", views.goal_add, name="goal_add"),
    path("episodes/<int:pk>/packages/new/", views.package_record, name="package_record"),
    path("episodes/<int:pk>/equipment/new/", views.equipment_add, name="equipment_add"),
    path("episodes/<int:pk>/close/", views.episode_close, name="episode_close"),
]
