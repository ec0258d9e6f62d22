from django.urls import path

from caseload import views

app_name = "caseload"
urlpatterns = [
    path("patients/", views.patients, name="patients"),
    path("patients/<int:pk>/", views.patient_detail, name="patient"),
    path("patients/<int:pk>/access-history/", views.patient_access_history, name="patient_access_history"),
    path("access-history/", views.access_history_lookup, name="access_history_lookup"),
]
