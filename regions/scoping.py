"""Fail-safe region scoping: a queryset of a region-owned model (one with REGION_FIELD) must say how it is scoped
before it reads or writes a row, or it fails loudly.

A model's manager hands out querysets marked *unscoped*. `.restrict(user, action)` (regions/access.py) marks them
scoped by a user; `.unrestricted("reason")` marks them deliberately unscoped (system code: background tasks, merges,
management commands, the API's token look-up), with a reason a reviewer can grep for. Chained methods keep the mark;
reading (iteration, len, get, first, count, exists, aggregate, iterator, in_bulk, values...) and writing through the
queryset (update, delete, bulk_update) check it. An unscoped read raises `UnscopedQueryError` when
REGION_SCOPE_ENFORCEMENT is "raise" (DEBUG and the test suite) and is logged as an error when it is "log".

Decided on purpose:
- Querysets of child models whose REGION_FIELD runs through their parent (a batch's rows, issues and edits; a
  work-list entry's events) read through the parent instance (`batch.rows.all()`, `prefetch_related("rows")`) are
  scoped by that parent: code can only hold the parent after reading it scoped (or as system code).
- An unscoped queryset used as a subquery (`filter(entity__in=Entity.objects...)`) is not checked: it narrows the
  outer queryset, whose own scope is checked, and returns no rows of its own.
- `a | b` is scoped only when both sides are; `a.union(b)` only when every part is.
- `create`, `bulk_create` and instances' `save`, `delete` and `refresh_from_db` write or read one given object and
  are not checked; Django's internals (`_base_manager`: foreign keys, save, cascades) use a plain manager.
- `allow_unrestricted("reason")` lets a block read unscoped: Django's own reads that cannot be marked (the admin's
  widgets, inlines and uniqueness checks) run inside one.
- Querysets built by the test suite's own modules (assertions reading the database) are exempt: the suite sets
  REGION_SCOPE_TEST_CALLERS to its directory; querysets built by project code under test are checked.
"""

import logging
import os
import sys
import sysconfig
from contextlib import contextmanager
from contextvars import ContextVar

import django
from django.conf import settings
from django.db import models

from .choices import Action

logger = logging.getLogger("regions.scoping")

_allowed: ContextVar[str | None] = ContextVar("region_scope_allowed", default=None)
_LIBRARIES = tuple(
    {os.path.dirname(django.__file__), sysconfig.get_paths()["purelib"], os.path.dirname(os.__file__), __file__}
)
_ACCESS_MODULE = os.path.join(os.path.dirname(__file__), "access.py")


class UnscopedQueryError(RuntimeError):
    """A queryset of a region-owned model was read without `.restrict(user, action)` or `.unrestricted(reason)`."""


def checked_reason(reason: str) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("unrestricted() needs the reason why this read may ignore regions")
    return reason


@contextmanager
def allow_unrestricted(reason: str):
    """Let the code inside the block read region-owned models unscoped (Django internals that cannot be marked)."""
    token = _allowed.set(checked_reason(reason))
    try:
        yield
    finally:
        _allowed.reset(token)


def _caller(depth: int = 2):
    """The first frame outside Django, the libraries and this module: the code that built or read the queryset."""
    frame = sys._getframe(depth)
    while frame is not None:
        name = frame.f_code.co_filename
        if not name.startswith(_LIBRARIES) and name != _ACCESS_MODULE and not name.startswith("<"):
            return frame
        frame = frame.f_back
    return None


def built_by_tests() -> bool:
    """Is the queryset being built by a test module itself (not by the project code a test calls)?"""
    callers = getattr(settings, "REGION_SCOPE_TEST_CALLERS", ())
    if not callers:
        return False
    frame = _caller(3)
    return frame is not None and frame.f_code.co_filename.startswith(tuple(callers))


def report_unscoped(model, operation: str) -> None:
    """Raise or log an unscoped read of `model` (REGION_SCOPE_ENFORCEMENT), unless a block allows it."""
    if _allowed.get() is not None:
        return
    frame = _caller(3)
    where = f"{frame.f_code.co_filename}:{frame.f_lineno}" if frame else "?"
    message = (
        f"{model.__name__} queryset {operation} without .restrict(user, action) or .unrestricted('reason') "
        f"(regions/scoping.py), at {where}"
    )
    if getattr(settings, "REGION_SCOPE_ENFORCEMENT", "raise") == "raise":
        raise UnscopedQueryError(message)
    logger.error(message)


class RegionScopedQuerySet(models.QuerySet):
    """Base queryset of every region-owned model: `.restrict(user, action)` is the only way views narrow, and
    `.unrestricted("reason")` the only way system code reads across regions; reading without either fails loudly
    (regions/scoping.py says what is checked and what is decided on purpose)."""

    _region_scope: str | None = None  # None: unscoped; else the action restricted to, or the stated reason

    @classmethod
    def as_manager(cls):
        manager = RegionScopedManager.from_queryset(cls)()
        manager._built_with_as_manager = True
        return manager

    def restrict(self, user, action: str = Action.VIEW) -> "RegionScopedQuerySet":
        from .access import restrict  # the access decision; it marks the result scoped

        return restrict(self, user, action)

    def unrestricted(self, reason: str) -> "RegionScopedQuerySet":
        """The rows of every region, on purpose: `reason` says why (system code, never a user's request)."""
        clone = self._chain()
        clone._region_scope = checked_reason(reason)
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._region_scope = self._region_scope
        return clone

    def _check_scope(self, operation: str) -> None:
        if self._region_scope is None and not self.query.is_empty():
            report_unscoped(self.model, operation)

    def _fetch_all(self):
        if self._result_cache is None:
            self._check_scope("evaluated")
        super()._fetch_all()

    def iterator(self, chunk_size=None):
        self._check_scope("iterated")
        return super().iterator(chunk_size)

    def count(self):
        if self._result_cache is None:
            self._check_scope("counted")
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._check_scope("asked exists()")
        return super().exists()

    def contains(self, obj):
        self._check_scope("asked contains()")
        return super().contains(obj)

    def aggregate(self, *args, **kwargs):
        self._check_scope("aggregated")
        return super().aggregate(*args, **kwargs)

    def update(self, **kwargs):
        self._check_scope("updated")
        return super().update(**kwargs)

    def delete(self):
        self._check_scope("deleted")
        return super().delete()

    def explain(self, *, format=None, **options):
        self._check_scope("explained")
        return super().explain(format=format, **options)

    def __or__(self, other):
        return self._scope_of_both(super().__or__(other), other)

    def __xor__(self, other):
        return self._scope_of_both(super().__xor__(other), other)

    def _scope_of_both(self, combined, other):
        """`a | b` may hold rows of b: scoped only when both sides are."""
        if combined is not self and combined is not other and getattr(other, "_region_scope", "") is None:
            combined._region_scope = None
        return combined

    def _combinator_query(self, combinator, *other_qs, all=False):
        clone = super()._combinator_query(combinator, *other_qs, all=all)
        if any(getattr(other, "_region_scope", "") is None for other in other_qs):
            clone._region_scope = None
        return clone


def _scoped_by_parent(field, region_path: str) -> bool:
    """Are the rows read through `field`'s parent instance in the parent's region? When the region path runs through
    the parent (a batch's rows), or when parent and child reach their region through the same grandparent (a staged
    row's issues and edits: both are the batch's)."""
    if region_path.startswith(f"{field.name}__"):
        return True
    parent_path = getattr(field.related_model, "REGION_FIELD", None)
    return "__" in region_path and parent_path == region_path


class RegionScopedManager(models.Manager):
    """Hands out unscoped querysets, except those read through a parent that scopes them (see regions/scoping.py)."""

    def get_queryset(self):
        queryset = super().get_queryset()
        field = getattr(self, "field", None)  # set on the related manager of a parent instance (batch.rows)
        region_path = getattr(self.model, "REGION_FIELD", "")
        if field is not None and hasattr(self, "instance") and _scoped_by_parent(field, region_path):
            queryset._region_scope = f"through its {field.name}"
        elif built_by_tests():
            queryset._region_scope = "built by a test module"
        return queryset
