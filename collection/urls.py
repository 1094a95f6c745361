from django.urls import path

from . import review_views, views

app_name = "collection"
urlpatterns = [
    path("upload/", views.upload, name="batch_upload"),
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/progress.json", views.batch_progress, name="batch_progress"),
    path("batches/<int:pk>/rows/<int:row_id>/fix", views.fix_cell, name="batch_fix_cell"),
    path("batches/<int:pk>/rows/<int:row_id>/exclude", views.exclude_row, name="batch_exclude_row"),
    path("batches/<int:pk>/rows/<int:row_id>/include", views.exclude_row, {"include": True}, name="batch_include_row"),
    path("batches/<int:pk>/report.xlsx", views.batch_report, name="batch_report"),
    path("batches/<int:pk>/invalid-rows.xlsx", views.batch_report, {"invalid_only": True}, name="batch_invalid_rows"),
    path("review/", review_views.review_queue, name="review_queue"),
    path("review/bulk", review_views.review_bulk, name="review_bulk"),
    path("review/<int:pk>/", review_views.review_detail, name="review_detail"),
    path("review/<int:pk>/preview/", review_views.review_preview, name="review_preview"),
    path("review/<int:pk>/approve", review_views.review_approve, name="review_approve"),
    path("review/<int:pk>/return", review_views.review_return, name="review_return"),
    path("review/<int:pk>/resubmit", review_views.review_resubmit, name="review_resubmit"),
]
