"""Catalog in the admin: read-only, because the catalog is edited in fixtures/catalog/ and loaded with load_catalog
(an edit here would be overwritten by the next load)."""

from django.contrib import admin

from .models import CatalogVersion, Category, CodeTable, CodeValue, DataElement, DataItem, Domain, Subcategory


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DataItemInline(admin.TabularInline):
    model = DataItem
    fields = ["order", "element", "label", "required", "help_text", "rules"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["order"]

    def has_add_permission(self, request, obj=None):
        return False


class CodeValueInline(admin.TabularInline):
    model = CodeValue
    fields = ["order", "code", "label", "aliases", "parent_code"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Domain)
class DomainAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "order"]


@admin.register(Category)
class CategoryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "domain"]
    list_filter = ["domain"]


@admin.register(Subcategory)
class SubcategoryAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "category", "department", "update_cycle", "is_active"]
    list_filter = ["is_active", "category__domain", "update_cycle"]
    search_fields = ["code", "name", "department"]
    list_select_related = ["category"]
    inlines = [DataItemInline]


@admin.register(DataElement)
class DataElementAdmin(ReadOnlyAdmin):
    list_display = ["key", "name", "type", "sensitivity", "code_table"]
    list_filter = ["type", "sensitivity"]
    search_fields = ["key", "name"]
    list_select_related = ["code_table"]


@admin.register(CodeTable)
class CodeTableAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "standard"]
    search_fields = ["code", "name", "standard"]
    inlines = [CodeValueInline]


@admin.register(CatalogVersion)
class CatalogVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "content_hash", "loaded_at", "is_current"]
