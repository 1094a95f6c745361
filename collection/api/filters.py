import django_filters

from regions.models import prefix_bounds

from ..choices import BatchStatus, IssueRule, Severity
from ..models import Batch, BatchIssue


class BatchFilterSet(django_filters.FilterSet):
    """Filters of the batch list; `region` keeps a region's whole subtree (a county keeps its townships)."""

    status = django_filters.MultipleChoiceFilter(choices=BatchStatus.choices)
    subcategory = django_filters.CharFilter(field_name="subcategory__code")
    region = django_filters.CharFilter(method="filter_region", help_text="region code; its whole subtree")
    group = django_filters.UUIDFilter()

    class Meta:
        model = Batch
        fields = ["status", "subcategory", "region", "group"]

    def filter_region(self, queryset, name, value):
        if not value.isdigit():
            return queryset.none()
        low, high = prefix_bounds(value)
        return queryset.filter(region_id__gte=low, region_id__lt=high)


class BatchIssueFilterSet(django_filters.FilterSet):
    rule = django_filters.MultipleChoiceFilter(choices=IssueRule.choices)
    severity = django_filters.ChoiceFilter(choices=Severity.choices)
    column = django_filters.CharFilter()
    item = django_filters.CharFilter()
    row = django_filters.NumberFilter()

    class Meta:
        model = BatchIssue
        fields = ["rule", "severity", "column", "item", "row"]
