from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .choices import Action, RegionLevel
from .departments import subcategories_of
from .models import ApiToken, AuditEvent, Department, DepartmentMembership, Region, RegionRole
from .roles import (
    ADMIN_FLAGS,
    department_settings,
    record_department_change,
    record_flag_change,
    record_role_change,
    record_role_removal,
)
from .scoped_admin import RegionScopedAdmin
from .tokens import revoke_user_token


class RoleAuditMixin:
    """Grants and revocations made in the admin (the page of a role, or the inline rows on a user's or a
    department's page) are written to the audit trail like those made in code (regions.roles)."""

    def save_model(self, request, obj, form, change):
        before = _role_summary(form) if change else None
        super().save_model(request, obj, form, change)
        if not change or form.changed_data:
            record_role_change(obj, acting_user=request.user, before=before)

    def delete_model(self, request, obj):
        record_role_removal(obj, acting_user=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for role in queryset:
            record_role_removal(role, acting_user=request.user)
        super().delete_queryset(request, queryset)


def _role_summary(form) -> dict:
    """The role row as it was before the form changed it."""
    return {k: str(v.pk if hasattr(v, "pk") else v) for k, v in form.initial.items() if k in ("role", "region",
            "department")}  # fmt: skip


def save_role_formset(request, formset) -> None:
    """Save the inline role rows of a user's or a department's page and record each grant and revocation."""
    for form in formset.deleted_forms:
        if form.instance.pk:
            record_role_removal(form.instance, acting_user=request.user)
    changed = {form.instance.pk: _role_summary(form) for form in formset.initial_forms if form.has_changed()}
    formset.save()
    for role in formset.new_objects:
        record_role_change(role, acting_user=request.user)
    for role, _fields in formset.changed_objects:
        record_role_change(role, acting_user=request.user, before=changed.get(role.pk))


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_sample"]
    list_filter = ["level", "is_sample"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(RegionRole)
class RegionRoleAdmin(RoleAuditMixin, admin.ModelAdmin):
    list_display = ["user", "role", "region", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "region__code", "region__name"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["user"]


class RegionRoleInline(admin.TabularInline):
    model = RegionRole
    extra = 1
    autocomplete_fields = ["region"]


class DepartmentMembershipInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 1
    raw_id_fields = ["user"]


class UserDepartmentInline(admin.TabularInline):
    model = DepartmentMembership
    extra = 0


class DepartmentForm(forms.ModelForm):
    """The department's region is the city or a county; extra grants are typed as codes separated by spaces."""

    extra_codes = forms.CharField(
        label="追加授权子类", required=False, help_text="目录之外另行授权的子类代码，以空格或逗号分隔，如 P0301 P0305"
    )

    class Meta:
        model = Department
        fields = ["name", "source_department", "region", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(level__in=[RegionLevel.CITY, RegionLevel.COUNTY])
        self.fields["extra_codes"].initial = " ".join(self.instance.extra_subcategories or [])

    def clean(self):
        data = super().clean()
        text = (data.get("extra_codes") or "").replace(",", " ").replace("，", " ")
        self.instance.extra_subcategories = text.split()
        return data


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    """Departments and their members (部门用户 upload, 部门审核员 review), with the subcategories they act for."""

    form = DepartmentForm
    list_display = ["name", "source_department", "region", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "source_department"]
    readonly_fields = ["subcategories"]
    inlines = [DepartmentMembershipInline]

    def save_model(self, request, obj, form, change):
        before = department_settings(Department.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        if before != department_settings(obj):
            record_department_change(obj, before, acting_user=request.user)

    def save_formset(self, request, form, formset, change):
        save_role_formset(request, formset)

    @admin.display(description="可上报与查看的子类")
    def subcategories(self, obj) -> str:
        return "、".join(sorted(subcategories_of(obj))) or "（无：目录中没有以该部门为数源部门的子类）"


@admin.register(DepartmentMembership)
class DepartmentMembershipAdmin(RoleAuditMixin, admin.ModelAdmin):
    list_display = ["user", "role", "department", "created_at"]
    list_filter = ["role", "department"]
    search_fields = ["user__username", "user__first_name", "department__name"]
    raw_id_fields = ["user"]


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

    inlines = [RegionRoleInline, UserDepartmentInline]

    def save_model(self, request, obj, form, change):
        model = type(obj)
        old = model.objects.filter(pk=obj.pk).values(*ADMIN_FLAGS).first() if change else None
        super().save_model(request, obj, form, change)
        record_flag_change(obj, old or dict.fromkeys(ADMIN_FLAGS, False), acting_user=request.user)

    def save_formset(self, request, form, formset, change):
        save_role_formset(request, formset)

    def delete_model(self, request, obj):
        for role in [*obj.region_roles.all(), *obj.department_memberships.all()]:
            record_role_removal(role, acting_user=request.user)
        super().delete_model(request, obj)


@admin.register(AuditEvent)
class AuditEventAdmin(RegionScopedAdmin):
    """The audit trail, read-only (the 操作记录 page at /regions/audit/ is the place to search it): events are
    written by the actions themselves and never changed or deleted."""

    scope_action = Action.AUDIT

    list_display = ["created_at", "actor_kind", "actor_label", "verb", "object_type", "object_label", "region"]
    list_filter = ["verb", "actor_kind"]
    search_fields = ["actor_label", "object_id", "object_label", "region__code"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # The admin of a superuser (the only one who reaches Django's admin for this model) sees every event.
        return super().get_queryset(request).select_related("region")
