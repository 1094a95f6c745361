from django.contrib import admin

from regions.audit import record_event
from regions.choices import AuditVerb
from regions.scoped_admin import RegionScopedAdmin

from .models import Batch, BatchIssue, RosterPolicy, StagedRow, StagedRowEdit


@admin.register(Batch)
class BatchAdmin(RegionScopedAdmin):
    list_display = ["id", "original_name", "sheet_name", "region", "subcategory", "status", "rows", "invalid",
                    "progress", "uploaded_by", "created_at"]  # fmt: skip
    list_filter = ["status", "subcategory"]
    search_fields = ["original_name", "sha256", "region__code", "region__name"]
    list_select_related = ["region", "subcategory", "uploaded_by"]
    raw_id_fields = ["uploaded_by", "region", "subcategory", "catalog_version"]
    readonly_fields = ["sha256", "size_bytes", "group", "task_id", "started_at", "finished_at", "verify_seconds",
                       "correction_summary", "created_at", "updated_at"]  # fmt: skip
    date_hierarchy = "created_at"


@admin.register(StagedRow)
class StagedRowAdmin(RegionScopedAdmin):
    list_display = ["batch", "row", "key", "is_valid", "errors", "warnings", "merge_state"]
    list_filter = ["is_valid", "merge_state"]
    search_fields = ["key"]
    raw_id_fields = ["batch"]


@admin.register(BatchIssue)
class BatchIssueAdmin(RegionScopedAdmin):
    list_display = ["batch", "row", "column", "item", "rule", "severity", "message"]
    list_filter = ["rule", "severity"]
    search_fields = ["message", "value", "column"]
    raw_id_fields = ["batch", "staged_row"]


@admin.register(StagedRowEdit)
class StagedRowEditAdmin(RegionScopedAdmin):
    list_display = ["staged_row", "item", "old_value", "new_value", "edited_by", "edited_at"]
    raw_id_fields = ["batch", "staged_row", "edited_by"]


@admin.register(RosterPolicy)
class RosterPolicyAdmin(admin.ModelAdmin):
    """部门名单入库方式: whether a subcategory's 数源部门 rosters merge without review (collection/sinking.py)."""

    list_display = ["subcategory", "merge_directly", "note", "updated_at"]
    list_filter = ["merge_directly"]
    search_fields = ["subcategory__code", "subcategory__name", "subcategory__department"]

    def save_model(self, request, obj, form, change):
        before = {"merge_directly": form.initial.get("merge_directly")} if change else None
        super().save_model(request, obj, form, change)
        _record_policy(request.user, obj, before, {"merge_directly": obj.merge_directly})

    def delete_model(self, request, obj):
        _record_policy(request.user, obj, {"merge_directly": obj.merge_directly}, None)
        super().delete_model(request, obj)


def _record_policy(user, policy: RosterPolicy, before: dict | None, after: dict | None) -> None:
    """A department setting: whether a 数源部门's roster of the subcategory merges without review."""
    label = f"部门名单入库方式 {policy.subcategory.code}"
    record_event(AuditVerb.CHANGE_DEPARTMENT, actor=user, obj=policy, label=label, before=before, after=after,
                 note=policy.note)  # fmt: skip
