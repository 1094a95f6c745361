"""The collector's home is a to-do list: the batches needing work with their error counts and next step; the
待处理冲突 figure agrees with the conflict page the collector can open, and is red only when there is one."""

import pytest
from django.urls import reverse

from basedb.merge import merge_batch
from basedb.models import Conflict
from collection.choices import BatchStatus
from collection.models import Batch
from tests.collection.batch_fixtures import make_batch
from tests.conftest import TOWNSHIP_A, TOWNSHIP_B

from .conftest import person, staged_batch

pytestmark = pytest.mark.usefixtures("catalog", "regions")


def _batch(region, user, status, invalid: int = 1, **fields):
    batch = make_batch(region, user, status=status, **fields)
    Batch.objects.filter(pk=batch.pk).update(invalid=invalid)
    return batch


@pytest.fixture
def home(client, collector_a):
    client.force_login(collector_a)
    return lambda: client.get(reverse("home")).content.decode()


def test_batches_needing_work_are_listed_with_their_errors_and_next_step(home, collector_a):
    needs_fix = _batch(TOWNSHIP_A, collector_a, BatchStatus.NEEDS_FIX, 3)
    returned = _batch(TOWNSHIP_A, collector_a, BatchStatus.RETURNED, return_reason="第7行请核对")
    done = _batch(TOWNSHIP_A, collector_a, BatchStatus.PENDING_REVIEW, invalid=0)
    page = home()
    todo = page.split('id="todo"')[1].split("</section>")[0]
    assert f'data-batch="{needs_fix.pk}"' in todo and "修正 3 行有误的数据" in todo
    assert f'data-batch="{returned.pk}"' in todo and "第7行请核对" in todo
    assert f'data-batch="{done.pk}"' not in todo
    assert reverse("collection:batch_detail", args=[returned.pk]) in todo
    assert todo.index(f'data-batch="{returned.pk}"') < todo.index(f'data-batch="{needs_fix.pk}"')


def test_a_merged_batch_with_invalid_rows_left_stays_on_the_list(home, collector_a):
    merged = _batch(TOWNSHIP_A, collector_a, BatchStatus.MERGED, invalid=2)
    assert "有误的 2 行未入库" in home().split('id="todo"')[1].split("</section>")[0] and str(merged.pk)


def test_another_townships_batches_are_not_on_the_list(home, collector_b):
    other = _batch(TOWNSHIP_B, collector_b, BatchStatus.NEEDS_FIX)
    assert f'data-batch="{other.pk}"' not in home()


def test_an_empty_list_says_so_and_no_conflict_is_not_red(home):
    page = home()
    assert "没有待处理的批次" in page
    assert f'class="stat" id="conflicts-{TOWNSHIP_A}"' in page


def test_the_conflict_count_agrees_with_the_collectors_conflict_page(client, home, officer_a):
    merge_batch(staged_batch(TOWNSHIP_B, [person(1)]), acting_user=officer_a)
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13700000000")]), acting_user=officer_a)
    assert Conflict.objects.filter(incoming_region_id=TOWNSHIP_A).count() == 1
    page = home()
    assert f'class="stat error" id="conflicts-{TOWNSHIP_A}"' in page
    listed = client.get(reverse("basedb:conflict_list"))
    assert listed.status_code == 200 and listed.context["page"].paginator.count == 1
    assert (
        "需由两乡镇共同上级处理" in listed.content.decode()
        and "<form" not in listed.content.decode().split("<table")[1]
    )  # read-only for the collector
