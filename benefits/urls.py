from django.urls import path

from benefits import import_views, views

app_name = "benefits"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("metrics/<slug:key>/", views.metric, name="metric"),
    path("metrics/<slug:key>/records/", views.figure, name="figure"),
    path("board-pack/", views.board_pack, name="board_pack"),
    path("finance/", views.finance, name="finance"),
    path("export/<slug:view>.csv", views.export, {"file_format": "csv"}, name="export_csv"),
    path("export/<slug:view>.xlsx", views.export, {"file_format": "xlsx"}, name="export_xlsx"),
    path("recompute/", views.recompute, name="recompute"),
    path("recompute/progress/", views.recompute_progress, name="recompute_progress"),
    path("measures/import/", import_views.measures_import, name="measures_import"),
    path("measures/import/example.csv", import_views.measures_import_example, name="measures_import_example"),
]
