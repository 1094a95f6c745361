"""Which regions a user fills reports for: the single access decision (regions.access) says; this module only
lists them for the chooser and checks a requested one (outside the user's regions: 404, as everywhere)."""

from django.http import Http404

from regions.access import can, scope_for
from regions.choices import Action
from regions.models import Region

MAX_CHOICES = 400


def root_codes(user) -> list[str]:
    """The tops of the user's viewing scope (the city for a user who sees everything)."""
    scope = scope_for(user, Action.VIEW)
    if scope.everything:
        return list(Region.objects.filter(parent__isnull=True).values_list("code", flat=True))
    return list(scope.prefixes)


def region_choices(user) -> list[tuple[str, str]]:
    """The user's top regions and the regions one level below them, for the chooser."""
    choices = []
    for root in Region.objects.filter(code__in=root_codes(user)).order_by("code"):
        choices.append((root.code, f"{root.name}（{root.code}）"))
        children = Region.objects.filter(parent_id=root.code)
        choices.extend((c.code, f"　{c.name}（{c.code}）") for c in children.order_by("code")[:MAX_CHOICES])
    return choices


def region_for(user, code: str | None) -> Region:
    """The requested region, or the user's first top region; 404 when it is outside what the user may view."""
    code = code or next(iter(root_codes(user)), None)
    if not code or not can(user, Action.VIEW, code):
        raise Http404("没有该区划或无权查看")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise Http404("没有该区划")
    return region


def trail(user, region: Region) -> list[Region]:
    """The region's ancestors the user may view, then the region: the breadcrumb of a report."""
    return [r for r in region.ancestors() if can(user, Action.VIEW, r.code)] + [region]
