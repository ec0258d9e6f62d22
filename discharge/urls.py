from django.urls import path

from discharge import views

app_name = "discharge"
urlpatterns = [
    path("", views.ward_board, name="ward_board"),
]
