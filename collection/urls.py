from django.urls import path

from . import views

app_name = "collection"
urlpatterns = [
    path("upload/", views.upload, name="batch_upload"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/progress.json", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/rows/<int:row_id>/fix", views.fix_cell, name="batch_fix_cell"),
    path("batches/<int:pk>/report.xlsx", views.batch_report, name="batch_report"),
    path("batches/<int:pk>/invalid-rows.xlsx", views.batch_report, {"invalid_only": True}, name="batch_invalid_rows"),
]
