from django.contrib import admin

from regions.scoped_admin import RegionScopedAdmin

from .models import Conflict, Entity, MergeRun, Record, RecordVersion


@admin.register(Entity)
class EntityAdmin(RegionScopedAdmin):
    list_display = ("kind", "key", "display_name", "region", "created_at")
    list_filter = ("kind",)
    search_fields = ("key", "display_name")
    raw_id_fields = ("region",)


class RecordVersionInline(admin.TabularInline):
    model = RecordVersion
    extra = 0
    fields = ("version", "action", "changes", "batch", "acting_user", "note", "created_at")
    readonly_fields = fields
    can_delete = False
    ordering = ("-version",)


@admin.register(Record)
class RecordAdmin(RegionScopedAdmin):
    """Read-mostly: records change only through merge, conflict resolution and revert (which write history)."""

    list_display = ("id", "entity", "subcategory", "region", "status", "version", "updated_at")
    list_filter = ("status", "subcategory")
    search_fields = ("entity__key", "entity__display_name")
    raw_id_fields = ("entity", "region", "last_batch")
    # The place too: placement.py moves the board's record counts with it (basedb/summaries.py).
    readonly_fields = ("entity", "subcategory", "region", "place", "place_manual", "values", "status", "version",
                       "last_batch")  # fmt: skip
    inlines = [RecordVersionInline]


@admin.register(Conflict)
class ConflictAdmin(RegionScopedAdmin):
    list_display = ("id", "entity", "subcategory", "existing_region", "incoming_region", "status", "resolution")
    list_filter = ("status", "resolution")
    search_fields = ("entity__key",)
    raw_id_fields = ("entity", "record", "batch", "staged_row", "existing_region", "incoming_region", "resolved_by")


@admin.register(MergeRun)
class MergeRunAdmin(RegionScopedAdmin):
    list_display = ("batch", "status", "created", "updated", "unchanged", "conflicts", "started_at", "seconds")
    list_filter = ("status",)
    raw_id_fields = ("batch", "acting_user")
