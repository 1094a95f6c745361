"""Region pages: the tree a user may view, one region with its children, and the login lockout page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .access import Action, restrict
from .models import Region


@login_required
def region_list(request):
    """The regions the user may view, as a tree ordered by code."""
    regions = restrict(Region.objects.all(), request.user, Action.VIEW, field="code").filter(is_sample=False)
    return render(request, "regions/region_list.html", {"regions": regions[:500]})


@login_required
def region_detail(request, code: str):
    """One region and its direct children; 404 outside the user's subtrees."""
    region = get_object_or_404(restrict(Region.objects.all(), request.user, Action.VIEW, field="code"), code=code)
    children = region.children.order_by("code")
    return render(request, "regions/region_detail.html", {"region": region, "children": children})


def lockout(request, original_response=None, credentials=None):
    """django-axes calls this after too many failed logins: a Chinese page, HTTP 429."""
    minutes = max(1, round(settings.AXES_COOLOFF_TIME * 60))
    return render(request, "registration/lockout.html", {"cooloff_minutes": minutes}, status=429)
