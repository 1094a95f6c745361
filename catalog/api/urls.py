from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import (
    CatalogSummaryView,
    CategoryViewSet,
    CodeTableViewSet,
    DomainViewSet,
    ElementViewSet,
    SubcategoryViewSet,
)

router = DefaultRouter()
router.register("domains", DomainViewSet, basename="catalog-domain")
router.register("categories", CategoryViewSet, basename="catalog-category")
router.register("subcategories", SubcategoryViewSet, basename="catalog-subcategory")
router.register("elements", ElementViewSet, basename="catalog-element")
router.register("code-tables", CodeTableViewSet, basename="catalog-code-table")
urlpatterns = [
    path("summary/", CatalogSummaryView.as_view(), name="catalog-summary"),
    *router.urls,
]
