from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import ApiToken, Region, RegionRole
from .tokens import revoke_user_token


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_sample"]
    list_filter = ["level", "is_sample"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(RegionRole)
class RegionRoleAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "region", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "region__code", "region__name"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["user"]


class RegionRoleInline(admin.TabularInline):
    model = RegionRole
    extra = 1
    autocomplete_fields = ["region"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with `manage.py create_user_token` (the secret is shown once); here they are revoked."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "expires_at", "revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["user", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
    exclude = ["key_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="吊销所选令牌")
    def revoke(self, request, queryset):
        for token in queryset:
            revoke_user_token(token, acting_user=request.user)
        self.message_user(request, f"已吊销 {queryset.count()} 个令牌", messages.SUCCESS)


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class PlatformUserAdmin(UserAdmin):
    """Django's user admin with the user's region roles editable on the same page."""

    inlines = [RegionRoleInline]
