"""Intake models: region scoping through `.restrict`, rule codes in step with the pipeline, issue output."""

import pytest

from collection.choices import BatchStatus, IssueRule
from collection.models import Batch, BatchIssue, StagedRow
from collection.pipeline.types import RULES
from tests.collection.batch_fixtures import make_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B


def test_issue_rule_choices_are_exactly_the_pipeline_rule_codes():
    assert set(IssueRule.values) == set(RULES)


def test_batch_status_labels_are_chinese():
    assert BatchStatus.NEEDS_FIX.label == "待修正"
    assert BatchStatus.PENDING_REVIEW.label == "待审核"
    assert len(BatchStatus.values) == 9


@pytest.mark.django_db
def test_a_collector_sees_only_the_batches_rows_and_issues_of_their_township(collector_a, collector_b):
    mine = make_batch(TOWNSHIP_A, collector_a)
    make_batch(TOWNSHIP_B, collector_b)
    assert list(Batch.objects.restrict(collector_a)) == [mine]
    assert {r.batch_id for r in StagedRow.objects.restrict(collector_a)} == {mine.pk}
    assert {i.batch_id for i in BatchIssue.objects.restrict(collector_a)} == {mine.pk}


@pytest.mark.django_db
def test_a_county_officer_sees_every_township_of_the_county(officer_a, collector_a, collector_b):
    make_batch(TOWNSHIP_A, collector_a)
    make_batch(TOWNSHIP_B, collector_b)
    assert Batch.objects.restrict(officer_a).count() == 2


@pytest.mark.django_db
def test_an_officer_of_another_county_sees_nothing(other_county_officer, collector_a):
    make_batch(TOWNSHIP_A, collector_a)
    assert not Batch.objects.restrict(other_county_officer).exists()
    assert not BatchIssue.objects.restrict(other_county_officer).exists()


@pytest.mark.django_db
def test_an_issue_renders_the_cli_fields_with_empty_column_as_null(collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a, issues=1)
    issue = batch.issues.get()
    assert set(issue.as_dict()) == {"row", "column", "item", "rule", "severity", "message", "value"}
    file_level = BatchIssue.objects.create(batch=batch, rule="missing_column", severity="error", message="缺少列")
    assert file_level.as_dict()["column"] is None
    assert file_level.as_dict()["row"] is None


@pytest.mark.django_db
def test_a_row_number_is_unique_within_a_batch(collector_a):
    from django.db import IntegrityError

    batch = make_batch(TOWNSHIP_A, collector_a)
    with pytest.raises(IntegrityError):
        StagedRow.objects.create(batch=batch, row=2, values={})


@pytest.mark.django_db
def test_the_admin_lists_and_opens_batches_issues_and_rows(admin_client, collector_a):
    batch = make_batch(TOWNSHIP_A, collector_a)
    for url in (
        "/admin/collection/batch/",
        f"/admin/collection/batch/{batch.pk}/change/",
        "/admin/collection/batchissue/",
        "/admin/collection/stagedrow/",
        "/admin/collection/stagedrowedit/",
    ):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
def test_staged_rows_are_stored_in_half_full_pages_on_postgresql():
    """Merging, reverting and fixing rewrite staged rows in place: with room on the page (and no indexed column
    changed) PostgreSQL makes that a HOT update, without new index entries (migration 0005)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("fillfactor is a PostgreSQL storage parameter")
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [StagedRow._meta.db_table])
        (options,) = cursor.fetchone()
    assert "fillfactor=50" in (options or [])


@pytest.mark.django_db
def test_the_merge_state_is_not_indexed_so_its_updates_can_stay_on_the_page():
    indexed = {field for index in StagedRow._meta.indexes for field in index.fields}
    indexed |= {field for constraint in StagedRow._meta.constraints for field in getattr(constraint, "fields", ())}
    assert "merge_state" not in indexed and not StagedRow._meta.get_field("merge_state").db_index
