from rest_framework import viewsets

from ..access import Action, restrict
from ..models import Region
from .serializers import RegionSerializer


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Regions the caller may view (its own subtrees); others answer 404."""

    serializer_class = RegionSerializer
    lookup_field = "code"
    filterset_fields = ["level", "parent"]

    def get_queryset(self):
        return restrict(Region.objects.all(), self.request.user, Action.VIEW, field="code")
