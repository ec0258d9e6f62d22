from django.urls import path

from benefits import import_views, views

app_name = "benefits"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("measures/import/", import_views.measures_import, name="measures_import"),
    path("measures/import/example.csv", import_views.measures_import_example, name="measures_import_example"),
]
