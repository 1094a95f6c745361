"""The admin of region-owned models: lists and objects restricted to the regions the staff user administers."""

from django.contrib import admin

from .access import restrict
from .choices import Action
from .scoping import allow_unrestricted


class RegionScopedAdmin(admin.ModelAdmin):
    """Lists and objects restricted by ADMINISTER; the change form's own reads (foreign-key widgets, inlines,
    uniqueness checks) are Django's and run unscoped (regions/scoping.py)."""

    scope_action = Action.ADMINISTER

    def get_queryset(self, request):
        return restrict(super().get_queryset(request), request.user, self.scope_action)

    def changeform_view(self, request, *args, **kwargs):
        with allow_unrestricted("admin change form: Django's widgets, inlines and uniqueness checks"):
            return super().changeform_view(request, *args, **kwargs)
