from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import views

admin.site.site_header = "基层数据归集平台 · 管理后台"
admin.site.site_title = "基层数据归集平台"
admin.site.index_title = "平台管理"

api_v1 = [
    path("", include("regions.api.urls")),
    path("catalog/", include("catalog.api.urls")),
    path("", include("collection.api.urls")),
    path("", include("sharing.api.urls")),
    path("", include("matching.api.urls")),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("regions/", include("regions.urls")),
    path("catalog/", include("catalog.urls")),
    path("collection/", include("collection.urls")),
    path("basedb/", include("basedb.urls")),
    path("sharing/", include("sharing.urls")),
    path("matching/", include("matching.urls")),
    path("reports/", include("reports.urls")),
    path("grid/", include("gridwork.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Swagger UI's start script is a separate response (…/api/docs/?script=), its styles a static file: no inline code
    # under the Content-Security-Policy (grassroots/csp.py, docs/decisions.md).
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api_schema", template_name="api_docs.html"),
        name="api_docs",
    ),
]

handler403 = "grassroots.views.permission_denied"
handler404 = "grassroots.views.page_not_found"
handler500 = "grassroots.views.server_error"
