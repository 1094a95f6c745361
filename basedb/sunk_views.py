"""部门下沉数据: the classes departments sunk into the user's region, read-only (basedb/sunk.py).

A township sees its own (its collectors cannot change what a department sank: the records' page is read-only for
them and the classes link to the record list); officers see their region and may narrow it to a county or township.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render

from grassroots.replica import replica_reads
from regions.access import scope_for
from regions.choices import Action

from .levels import level_for
from .sunk import sunk_classes


@login_required
@replica_reads
def sunk_list(request):
    """The sunk classes of the user's region (of `region` when given: a county or township they may view): class,
    source department, records, townships, last update and whether it is overdue for its update cycle."""
    code = request.GET.get("region", "").strip()
    level = level_for(request.user, code) if code else None
    if code and level is None:  # a region outside the user's subtrees does not exist for them
        raise Http404
    if scope_for(request.user, Action.VIEW).empty:
        raise PermissionDenied("只有乡镇（街道）和区县、市级用户可以查看部门下沉数据。")
    region = level.region if level else None
    classes = sunk_classes(request.user, region.code if region else None)
    return render(request, "basedb/sunk_list.html", {"classes": classes, "region": region})
