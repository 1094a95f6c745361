"""Fail-safe scoping (regions/scoping.py): a region-owned model's queryset read without `.restrict(user, action)` or
`.unrestricted("reason")` raises (or logs in production); every `.unrestricted(` in the code states its reason.

The suite exempts querysets built by test modules; these tests switch the exemption off (`checked` fixture) so the
querysets they build are checked like the project's own."""

import logging
import re
from pathlib import Path

import pytest
from django.db.models import Count

from basedb.models import Entity
from collection.models import Batch
from regions.scoping import UnscopedQueryError, allow_unrestricted
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

ROOT = Path(__file__).resolve().parents[2]
SOURCE_DIRS = (
    "basedb",
    "catalog",
    "collection",
    "grassroots",
    "matching",
    "regions",
    "reports",
    "sharing",
    "benchmarks",
)


@pytest.fixture
def checked(settings):
    settings.REGION_SCOPE_TEST_CALLERS = ()
    settings.REGION_SCOPE_ENFORCEMENT = "raise"


@pytest.fixture
def entities(regions):
    Entity.objects.create(kind="person", key="A", region_id=TOWNSHIP_A, display_name="甲")
    Entity.objects.create(kind="person", key="B", region_id=TOWNSHIP_B, display_name="乙")


READS = {
    "list": lambda qs: list(qs),
    "len": lambda qs: len(qs),
    "bool": lambda qs: bool(qs),
    "get": lambda qs: qs.get(key="A"),
    "first": lambda qs: qs.first(),
    "count": lambda qs: qs.count(),
    "exists": lambda qs: qs.exists(),
    "aggregate": lambda qs: qs.aggregate(n=Count("id")),
    "iterator": lambda qs: list(qs.iterator()),
    "values": lambda qs: list(qs.values("key")),
    "values_list": lambda qs: list(qs.values_list("key", flat=True)),
    "annotate": lambda qs: list(qs.annotate(n=Count("records"))),
    "in_bulk": lambda qs: qs.in_bulk(),
    "slice": lambda qs: qs[0],
    "update": lambda qs: qs.update(display_name="丙"),
    "delete": lambda qs: qs.filter(key="none").delete(),
}


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_an_unscoped_queryset_raises_whichever_way_it_is_read(checked, entities, read):
    with pytest.raises(UnscopedQueryError, match=r"Entity queryset .* without .restrict"):
        read(Entity.objects.filter(kind="person").order_by("key"))


@pytest.mark.parametrize("read", READS.values(), ids=READS.keys())
def test_a_restricted_queryset_keeps_its_scope_through_chained_methods(checked, entities, collector_a, read):
    read(Entity.objects.restrict(collector_a).filter(kind="person").order_by("key"))


def test_restrict_narrows_to_the_users_region(checked, entities, collector_a):
    assert list(Entity.objects.restrict(collector_a).values_list("key", flat=True)) == ["A"]


def test_unrestricted_reads_every_region_and_needs_a_reason(checked, entities):
    assert Entity.objects.unrestricted("test: both regions").count() == 2
    with pytest.raises(ValueError, match="reason"):
        Entity.objects.unrestricted(" ")


def test_an_or_with_an_unscoped_side_is_unscoped(checked, entities, collector_a):
    mixed = Entity.objects.restrict(collector_a) | Entity.objects.filter(key="B")
    with pytest.raises(UnscopedQueryError):
        list(mixed)
    assert len(Entity.objects.restrict(collector_a) | Entity.objects.unrestricted("test").filter(key="B")) == 2


def test_a_union_with_an_unscoped_part_is_unscoped(checked, entities, collector_a):
    with pytest.raises(UnscopedQueryError):
        list(Entity.objects.restrict(collector_a).union(Entity.objects.filter(key="B")))


def test_an_empty_queryset_reads_nothing_and_passes(checked, entities):
    assert list(Entity.objects.none()) == []


def test_an_unscoped_subquery_inside_a_scoped_queryset_is_allowed(checked, entities, collector_a):
    inner = Entity.objects.filter(kind="person").values("id")
    assert Entity.objects.restrict(collector_a).filter(id__in=inner).count() == 1


def test_a_parents_related_manager_is_scoped_by_the_parent_but_an_entitys_records_are_not(checked, regions):
    batch = Batch.objects.create(file="x.csv", original_name="x.csv", sha256="0" * 64, region_id=TOWNSHIP_A)
    assert batch.staged_rows.count() == 0  # StagedRow.REGION_FIELD runs through the batch
    entity = Entity.objects.create(kind="person", key="A", region_id=TOWNSHIP_A)
    with pytest.raises(UnscopedQueryError, match="Record queryset"):
        entity.records.count()  # records are placed on their own, not by the entity's first township


def test_a_foreign_key_and_save_use_djangos_plain_base_manager(checked, entities):
    entity = Entity.objects.unrestricted("test").get(key="A")
    entity.display_name = "丁"
    entity.save()
    entity.refresh_from_db()
    assert entity.display_name == "丁"


def test_a_block_may_allow_unscoped_reads_with_a_reason(checked, entities):
    with allow_unrestricted("test: Django's own reads"):
        assert Entity.objects.count() == 2
    with pytest.raises(UnscopedQueryError):
        Entity.objects.count()


def test_in_log_mode_an_unscoped_read_is_an_error_in_the_log_and_still_answers(checked, settings, entities, caplog):
    settings.REGION_SCOPE_ENFORCEMENT = "log"
    with caplog.at_level(logging.ERROR, logger="regions.scoping"):
        assert Entity.objects.count() == 2
    assert "Entity queryset counted without .restrict" in caplog.text
    assert "test_scoping.py" in caplog.text  # where the read happened


def test_a_queryset_built_by_project_code_is_checked_in_the_suite_without_opting_in(entities):
    """Without the `checked` fixture: the exemption covers test modules, not the project code they call."""
    project_code = compile("rows = Entity.objects.filter(kind='person')", str(ROOT / "basedb" / "example.py"), "exec")
    namespace = {"Entity": Entity}
    exec(project_code, namespace)  # noqa: S102 (a line of code that claims to live in basedb/)
    with pytest.raises(UnscopedQueryError):
        list(namespace["rows"])
    assert Entity.objects.filter(kind="person").count() == 2  # built here, in a test module: exempt


UNRESTRICTED = re.compile(r"(?<!def )(\.unrestricted|\ballow_unrestricted)\(")
REASON = re.compile(r"""\s*("[^"]{8,}"|'[^']{8,}')\s*,?\s*\)""")
PLACEHOLDERS = ('"reason"', "'reason'", '"why"', "reason: str", "reason)")  # the docs and the definitions


def unrestricted_calls() -> list[tuple[str, str]]:
    """(file:line, the text after the parenthesis) of every unscoped read the code declares."""
    calls = []
    for directory in SOURCE_DIRS:
        for path in sorted((ROOT / directory).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            for match in UNRESTRICTED.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                calls.append((f"{path.relative_to(ROOT)}:{line}", text[match.end() : match.end() + 300]))
    return calls


def test_every_unrestricted_read_in_the_code_states_its_reason():
    """`.unrestricted("why")` is greppable: a literal reason of a few words at every call
    (`grep -rn "unrestricted(" --include=*.py basedb collection matching reports sharing regions`)."""
    calls = unrestricted_calls()
    assert len(calls) > 40, "the system code's unscoped reads are marked"
    missing = [where for where, after in calls if not REASON.match(after) and not after.startswith(PLACEHOLDERS)]
    assert not missing, f"unrestricted(...) without a literal reason (8+ characters) at {missing}"


def test_the_admin_lists_and_edits_region_owned_objects_restricted_by_administer(admin_client, entities):
    entity = Entity.objects.get(key="A")
    assert admin_client.get("/admin/basedb/entity/").status_code == 200
    assert admin_client.get(f"/admin/basedb/entity/{entity.pk}/change/").status_code == 200  # Django's own reads
    assert admin_client.get("/admin/collection/batch/").status_code == 200
