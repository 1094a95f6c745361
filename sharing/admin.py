from django.contrib import admin

from regions.audit import record_event
from regions.choices import AuditVerb
from regions.scoped_admin import RegionScopedAdmin
from regions.scoping import allow_unrestricted

from .models import AccessLog, ApiClient, ClientAuditEvent, Webhook, WebhookDelivery


@admin.register(ApiClient)
class ApiClientAdmin(RegionScopedAdmin):
    """Read-mostly: tokens are issued, rotated and revoked through sharing.clients (the 数据共享 pages or the CLI)."""

    list_display = ("name", "department", "region", "max_sensitivity", "rate_limit", "enabled", "expires_at",
                    "revoked_at", "last_used_at")  # fmt: skip
    list_filter = ("enabled", "max_sensitivity")
    search_fields = ("name", "department", "token_prefix")
    readonly_fields = ("token_prefix", "token_hash", "created_by", "created_at", "revoked_at", "last_used_at")
    filter_horizontal = ("subcategories",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # What changed, by field name (the values may be long lists of subcategories; the form history has them).
        record_event(AuditVerb.CHANGE_CLIENT, actor=request.user, obj=obj, region=obj.region_id,
                     label=f"接入方 {obj.name}", after={"changed": sorted(form.changed_data)})  # fmt: skip


@admin.register(ClientAuditEvent)
class ClientAuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "action", "acting_user", "token_prefix", "note")
    list_filter = ("action",)

    def has_add_permission(self, request):
        return False  # written by sharing.clients' actions only (its add form also listed every client unscoped)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    list_display = ("created_at", "client", "endpoint", "records", "status")
    list_filter = ("endpoint", "client")
    date_hierarchy = "created_at"

    def changelist_view(self, request, extra_context=None):
        with allow_unrestricted("admin access log: the client filter lists every API client by name"):
            return super().changelist_view(request, extra_context)

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    list_display = ("client", "url", "enabled", "cursor", "created_at")
    exclude = ("secret",)
    # Registered through the API, which checks the address against the allow-list (sharing/outbound.py); here an
    # administrator only switches one on or off (the client select also listed every client unscoped).
    readonly_fields = ("client", "url")

    def has_add_permission(self, request):
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ("id", "webhook", "status", "attempts", "response_status", "created_at", "delivered_at")
    list_filter = ("status",)
