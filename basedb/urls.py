from django.urls import path, register_converter

from . import placement_views, sunk_views, table_views, views


class PublicIdConverter:
    """An entity's public id (Entity.public_id): 32 lower-case hex digits."""

    regex = "[0-9a-f]{32}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(PublicIdConverter, "public_id")

app_name = "basedb"
urlpatterns = [
    path("", views.record_list, name="record_list"),
    path("board/", views.board, name="board"),
    path("board.xlsx", views.board_export, name="board_export"),
    path("patch/", views.patch_download, name="patch_download"),
    path("sunk/", sunk_views.sunk_list, name="sunk_list"),
    path("townships/<str:code>/unplaced/", placement_views.unplaced_list, name="unplaced_list"),
    path("search/", views.record_search, name="record_search"),
    path("tables/", table_views.table_list, name="table_list"),
    path("tables/<str:code>/", table_views.record_table, name="record_table"),
    path("tables/<str:code>/search", table_views.record_table_search, name="record_table_search"),
    path("tables/<str:code>/export.xlsx", table_views.record_table_export, name="record_table_export"),
    # The public id first: 32 digits would also match <int:pk>.
    path("entities/<public_id:public_id>/", views.entity_detail, name="entity_detail"),
    path("entities/<int:pk>/", views.entity_by_id, name="entity_by_id"),
    path("records/<int:pk>/", views.record_detail, name="record_detail"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict_detail"),
    path("conflicts/<int:pk>/resolve", views.conflict_resolve, name="conflict_resolve"),
    path("batches/<int:pk>/revert", views.batch_revert, name="batch_revert"),
]
