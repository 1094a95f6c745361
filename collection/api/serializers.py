from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Batch, BatchIssue


class BatchSerializer(serializers.ModelSerializer):
    """A batch as API clients see it: where it stands, its counts and where to find its issues and report."""

    subcategory = serializers.CharField(source="subcategory.code", read_only=True, allow_null=True, default=None)
    subcategory_name = serializers.CharField(source="subcategory.name", read_only=True, default=None)
    region_name = serializers.CharField(source="region.name", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    uploaded_by = serializers.CharField(source="uploaded_by.username", read_only=True, default=None)
    catalog_version = serializers.CharField(source="catalog_version.version", read_only=True, default=None)
    issues_url = serializers.SerializerMethodField()
    report_url = serializers.SerializerMethodField()

    class Meta:
        model = Batch
        fields = [
            "id", "original_name", "sha256", "size_bytes", "uploaded_by", "region", "region_name", "subcategory",
            "subcategory_name", "catalog_version", "sheet_name", "header_row", "group", "status", "status_display",
            "progress", "rows", "valid", "invalid", "duplicates_in_file", "corrections", "created", "updated",
            "unchanged", "conflicts", "error_message", "return_reason", "started_at", "finished_at", "verify_seconds",
            "created_at", "updated_at", "issues_url", "report_url",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.URLField())
    def get_issues_url(self, batch: Batch) -> str:
        return self._url(f"/api/v1/batches/{batch.pk}/issues/")

    @extend_schema_field(serializers.URLField())
    def get_report_url(self, batch: Batch) -> str:
        return self._url(f"/api/v1/batches/{batch.pk}/report.xlsx")

    def _url(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class BatchUploadSerializer(serializers.Serializer):
    """The multipart body of POST /api/v1/batches/."""

    file = serializers.FileField(help_text="the workbook: .xlsx, .xlsm, .xls, .xlsb, .ods or .csv")
    region = serializers.CharField(
        max_length=15,
        help_text="township code (9 digits) the data belongs to; a department user's city- or county-wide roster: the "
        "city (4) or county (6) code, its rows routed to townships",
    )
    subcategory = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="subcategory code, e.g. P0101; default: recognised"
    )


class BatchIssueSerializer(serializers.ModelSerializer):
    """A verification finding at the Excel row and column the township sees (row null: the file as a whole)."""

    class Meta:
        model = BatchIssue
        fields = ["id", "row", "column", "column_index", "item", "rule", "severity", "message", "value"]
        read_only_fields = fields
