"""Department rosters sunk to townships (数据下沉): who reviews them, and the direct merge of a 数源部门's roster.

A department's city- or county-wide roster (a batch whose region is the city or a county, routed row by row to
townships by collection/routing.py) waits for the department's own reviewer (部门审核员: a department grant covers
its region for its subcategories, so the review queue shows it to them and to nobody else's department), unless the
subcategory's RosterPolicy says its 数源部门 merges directly and the uploader's department is that 数源部门.
"""

from regions.departments import departments_of

from .choices import BatchStatus
from .models import Batch, RosterPolicy
from .routing import is_area_level


def is_roster(batch: Batch) -> bool:
    """A department's roster: uploaded for the city or a county, its rows routed to townships."""
    return is_area_level(batch.region_id)


def merges_directly(batch: Batch) -> bool:
    """Does this roster merge without review: its subcategory's policy says so and its uploader belongs to the
    subcategory's 数源部门 (a department granted the subcategory in addition is still reviewed)?"""
    if not is_roster(batch) or batch.uploaded_by_id is None or batch.subcategory_id is None:
        return False
    if not RosterPolicy.objects.filter(subcategory_id=batch.subcategory_id, merge_directly=True).exists():
        return False
    source = batch.subcategory.department
    return bool(source) and any(d.catalog_name == source for d in departments_of(batch.uploaded_by))


def merge_if_direct(batch: Batch, merge) -> bool:
    """Merge the verified roster's valid rows now when `merges_directly`; `merge(batch, acting_user=, authorised=)`
    is intake's merge. Returns whether it merged."""
    if batch.status not in (BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW) or not batch.valid:
        return False
    if not merges_directly(batch):
        return False
    merge(batch, acting_user=batch.uploaded_by, authorised=True)
    return True
