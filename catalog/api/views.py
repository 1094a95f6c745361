"""Read-only catalog API: domains, categories, subcategories (with items), data elements, code tables, summary."""

from django.db.models import Count, Prefetch, Q
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import Category, CodeTable, DataElement, DataItem, Domain, Subcategory
from ..specs_build import current_version
from .serializers import (
    CatalogSummarySerializer,
    CategorySerializer,
    CodeTableDetailSerializer,
    CodeTableSerializer,
    DomainSerializer,
    ElementSerializer,
    SubcategoryDetailSerializer,
    SubcategorySerializer,
)

ACTIVE = Q(subcategories__is_active=True)


class DomainViewSet(viewsets.ReadOnlyModelViewSet):
    """The six domains (人、房、企、地、物、情) with their category codes."""

    serializer_class = DomainSerializer
    lookup_field = "code"
    queryset = Domain.objects.prefetch_related("categories")


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Categories (大类); filter by domain code."""

    serializer_class = CategorySerializer
    lookup_field = "code"
    filterset_fields = {"domain__code": ["exact"]}
    queryset = Category.objects.select_related("domain").annotate(subcategory_count=Count("subcategories", ACTIVE))
    queryset = queryset.order_by("order", "code")


class SubcategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Subcategories (子类), active ones by default (`is_active=false` lists retired ones); the detail lists items."""

    lookup_field = "code"
    filterset_fields = {"category__code": ["exact"], "category__domain__code": ["exact"], "is_active": ["exact"]}

    def get_serializer_class(self):
        return SubcategoryDetailSerializer if self.action == "retrieve" else SubcategorySerializer

    def get_queryset(self):
        qs = Subcategory.objects.select_related("category__domain").annotate(item_count=Count("items"))
        qs = qs.order_by("order", "code")
        if self.action == "retrieve":
            items = DataItem.objects.select_related("element__code_table").order_by("order")
            return qs.prefetch_related(Prefetch("items", queryset=items))
        return qs if "is_active" in self.request.query_params else qs.filter(is_active=True)


class ElementViewSet(viewsets.ReadOnlyModelViewSet):
    """Data elements (数据元), by key; filter by type or sensitivity."""

    serializer_class = ElementSerializer
    lookup_field = "key"
    filterset_fields = ["type", "sensitivity"]
    queryset = DataElement.objects.select_related("code_table")


class CodeTableViewSet(viewsets.ReadOnlyModelViewSet):
    """Code tables (代码表), by code; the detail lists values with their accepted aliases."""

    lookup_field = "code"
    queryset = CodeTable.objects.annotate(value_count=Count("values")).prefetch_related("values").order_by("code")

    def get_serializer_class(self):
        return CodeTableDetailSerializer if self.action == "retrieve" else CodeTableSerializer


class CatalogSummaryView(APIView):
    """Counts of the loaded catalog and its current version."""

    @extend_schema(responses=CatalogSummarySerializer)
    def get(self, request):
        version = current_version()
        data = {
            "domains": Domain.objects.count(),
            "categories": Category.objects.count(),
            "subcategories": Subcategory.objects.filter(is_active=True).count(),
            "items": DataItem.objects.filter(subcategory__is_active=True).count(),
            "elements": DataElement.objects.count(),
            "code_tables": CodeTable.objects.count(),
            "version": version.version if version else None,
        }
        return Response(CatalogSummarySerializer(data).data)
