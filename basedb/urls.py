from django.urls import path

from . import placement_views, views

app_name = "basedb"
urlpatterns = [
    path("", views.record_list, name="record_list"),
    path("board/", views.board, name="board"),
    path("board.xlsx", views.board_export, name="board_export"),
    path("patch/", views.patch_download, name="patch_download"),
    path("townships/<str:code>/unplaced/", placement_views.unplaced_list, name="unplaced_list"),
    path("entities/<int:pk>/", views.entity_by_id, name="entity_by_id"),
    path("entities/<str:kind>/<path:key>/", views.entity_detail, name="entity_detail"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/<int:pk>/resolve", views.conflict_resolve, name="conflict_resolve"),
    path("batches/<int:pk>/revert", views.batch_revert, name="batch_revert"),
]
