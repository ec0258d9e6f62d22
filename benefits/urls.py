from django.urls import path

from benefits import views

app_name = "benefits"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
]
