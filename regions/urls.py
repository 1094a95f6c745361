from django.urls import path

from . import audit_views, views

app_name = "regions"
urlpatterns = [
    path("", views.region_list, name="region_list"),
    path("audit/", audit_views.audit_list, name="audit_list"),
    path("audit/export/", audit_views.audit_export, name="audit_export"),
    path("<str:code>/", views.region_detail, name="region_detail"),
]
