"""Leases of running batches: a batch being verified or merged belongs to one process at a time.

The process takes the batch's lease (Batch.lease_owner, lease_expires) with one conditional UPDATE, renews it while it
works (a heartbeat thread, and every stored chunk), and gives it back when done. A process that dies stops renewing:
once the lease has expired, the sweep every worker runs (`sweep_expired`, started by `manage.py worker`) queues the
batch again and the next worker takes it over. A lease whose owner was a process of the sweeping machine that no
longer runs (a worker killed and restarted by `serve`) is taken over at once, without waiting for the expiry.
Taking over is idempotent: verification starts the batch over (verify_batch deletes what the dead run stored) and the
merge resumes after its last committed chunk (MergeRun).

A process that lost its lease (it stalled past the expiry and another took over) finds out at its next chunk
(`check`) and stops with LeaseLost, so two processes never store rows of one batch.
"""

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from .choices import BatchStatus
from .models import Batch

log = logging.getLogger(__name__)

QUEUED = "queued"  # owner of a lease a sweep claimed for a queued task: any process may take it
FAILED = "failed"  # owner of a released lease whose run raised: not swept again (a defect would loop), resumable
# Batches whose work a worker does: a batch in one of these without a live lease is stalled.
RUNNING_STATUSES = (BatchStatus.UPLOADED, BatchStatus.VERIFYING, BatchStatus.MERGING)
_current: ContextVar[tuple[int, str] | None] = ContextVar("batch_lease", default=None)


class LeaseLost(RuntimeError):
    """This process no longer holds the batch's lease: another process took the batch over."""


class LeaseBusy(RuntimeError):
    """Another living process holds the batch's lease."""


def lease_seconds() -> int:
    return settings.BATCH_LEASE_SECONDS


def new_owner(kind: str) -> str:
    """A lease owner name: what, where, which process, plus a random part (one per run)."""
    return f"{kind}:{_host()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def expired(batch: Batch) -> bool:
    """True when nobody works on the batch: no lease, or an expired one."""
    return batch.lease_expires is None or batch.lease_expires <= timezone.now()


def _takeable(now) -> Q:
    return Q(lease_expires__isnull=True) | Q(lease_expires__lte=now) | Q(lease_owner=QUEUED)


def take(batch_id: int, owner: str) -> bool:
    """Take the batch's lease if nobody living holds it; True when taken."""
    now = timezone.now()
    taken = (
        Batch.objects.unrestricted("batch lease bookkeeping")
        .filter(_takeable(now), pk=batch_id)
        .update(lease_owner=owner, lease_expires=now + timedelta(seconds=lease_seconds()))
    )
    return taken == 1


def renew(batch_id: int, owner: str) -> bool:
    """Push the lease's expiry forward; False when `owner` no longer holds it."""
    expires = timezone.now() + timedelta(seconds=lease_seconds())
    return (
        Batch.objects.unrestricted("batch lease bookkeeping")
        .filter(pk=batch_id, lease_owner=owner)
        .update(lease_expires=expires)
        == 1
    )


def release(batch_id: int, owner: str, left: str = "") -> None:
    """Give the lease back (`left`: the owner name left behind, FAILED after an error)."""
    Batch.objects.unrestricted("batch lease bookkeeping").filter(pk=batch_id, lease_owner=owner).update(
        lease_owner=left, lease_expires=None
    )


def check(batch_id: int) -> None:
    """Called per chunk inside its transaction: renew the lease this context holds on the batch (its row lock
    serialises a takeover with the chunk), LeaseLost when another process has taken it. No lease held: no-op."""
    held = _current.get()
    if held is None or held[0] != batch_id:
        return
    if not renew(batch_id, held[1]):
        raise LeaseLost(f"batch {batch_id}: lease lost to another process")


@contextmanager
def leased(batch_id: int, kind: str) -> Iterator[str]:
    """Hold the batch's lease for the body (LeaseBusy if another living process holds it), renewed by a heartbeat
    thread; released at the end. A run that raised leaves its owner FAILED: the sweep does not retry a defect in a
    loop, a person may (继续入库)."""
    owner = new_owner(kind)
    if not take(batch_id, owner):
        raise LeaseBusy(f"batch {batch_id} is leased to another process")
    token = _current.set((batch_id, owner))
    stop = threading.Event()
    # The heartbeat uses its own connection: inside a transaction (a test's) it would not see the batch's row.
    heartbeat = None if connection.in_atomic_block else _start_heartbeat(batch_id, owner, stop)
    failed = False
    try:
        yield owner
    except LeaseLost:
        raise
    except BaseException:
        failed = True
        raise
    finally:
        stop.set()
        if heartbeat is not None:
            heartbeat.join(timeout=30)
        _current.reset(token)
        release(batch_id, owner, FAILED if failed else "")


def _start_heartbeat(batch_id: int, owner: str, stop: threading.Event) -> threading.Thread:
    thread = threading.Thread(target=_beat, args=(batch_id, owner, stop), name=f"lease-{batch_id}", daemon=True)
    thread.start()
    return thread


def _beat(batch_id: int, owner: str, stop: threading.Event) -> None:
    interval = max(lease_seconds() / 6, 0.5)
    try:
        while not stop.wait(interval):
            try:
                if not renew(batch_id, owner):
                    return  # taken over: the worker's next chunk raises LeaseLost
            except Exception:  # a busy database: the next beat tries again, the lease has five more
                log.warning("renewing the lease of batch %s failed", batch_id, exc_info=True)
    finally:
        connection.close()


def _host() -> str:
    return socket.gethostname()[:40]


def owner_gone(owner: str) -> bool:
    """True when the lease's owner was a process of this machine that no longer runs (a worker killed here): its
    batch need not wait for the lease to expire. An owner elsewhere, or a pid that runs (perhaps reused), is not."""
    parts = owner.split(":")
    if len(parts) != 4 or parts[1] != _host() or not parts[2].isdigit():
        return False
    try:
        os.kill(int(parts[2]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # a process of another user has that pid now
        return False
    return False


def stalled_batches() -> list[Batch]:
    """Batches in RUNNING_STATUSES nobody works on: lease expired, never leased and untouched for a lease, or leased
    to a process of this machine that is gone (taken over at once, without waiting for the expiry)."""
    now = timezone.now()
    never = Q(lease_expires__isnull=True, updated_at__lte=now - timedelta(seconds=lease_seconds()))
    running = Batch.objects.unrestricted("lease sweep: every stalled batch").filter(status__in=RUNNING_STATUSES)
    stalled = list(running.filter(Q(lease_expires__lte=now) | never).exclude(lease_owner=FAILED).order_by("id"))
    local = running.filter(lease_expires__gt=now, lease_owner__contains=f":{_host()}:").order_by("id")
    return stalled + [batch for batch in local if owner_gone(batch.lease_owner)]


def claim_for_queue(batch: Batch) -> bool:
    """Mark a stalled batch as queued (two sweeps never queue it twice): lease owner QUEUED for two leases. The
    lease must still be the one found stalled: expired, or held by the same dead owner."""
    now = timezone.now()
    stalled = Q(lease_expires__isnull=True) | Q(lease_expires__lte=now)
    if batch.lease_owner and owner_gone(batch.lease_owner):
        stalled |= Q(lease_owner=batch.lease_owner)
    queued = Batch.objects.unrestricted("batch lease bookkeeping").filter(stalled, pk=batch.pk)
    return queued.update(lease_owner=QUEUED, lease_expires=now + timedelta(seconds=2 * lease_seconds())) == 1


def sweep_expired() -> list[Batch]:
    """Queue again every stalled batch: verification for uploaded/verifying ones, the merge for merging ones.

    Run by every worker (start_sweeper) and callable from anywhere; returns the batches it queued."""
    from .tasks import merge_approved_batch_task, verify_batch_task

    queued = []
    for batch in stalled_batches():
        if not claim_for_queue(batch):
            continue  # another sweep was first
        if batch.status == BatchStatus.MERGING:
            transaction.on_commit(lambda b=batch: merge_approved_batch_task.enqueue(b.pk, b.merge_by_id))
        else:
            transaction.on_commit(lambda b=batch: verify_batch_task.enqueue(b.pk))
        log.warning("batch %s (%s) stalled: queued again", batch.pk, batch.status)
        queued.append(batch)
    return queued


def start_sweeper(interval: float | None = None) -> threading.Thread:
    """A daemon thread of the worker process that runs sweep_expired now and then every `interval` seconds (and
    purges partial upload files left by killed requests once an hour)."""
    interval = interval if interval is not None else max(lease_seconds() / 4, 1.0)
    thread = threading.Thread(target=_sweep_forever, args=(interval,), name="lease-sweeper", daemon=True)
    thread.start()
    return thread


PURGE_EVERY = 3600.0  # seconds between purges of partial upload files


def _sweep_forever(interval: float) -> None:
    from .uploads import purge_partial_uploads

    purged_at = None
    while True:
        try:
            sweep_expired()
            if purged_at is None or time.monotonic() - purged_at > PURGE_EVERY:
                purge_partial_uploads()
                purged_at = time.monotonic()
        except Exception:  # a database restart must not end the sweeper: try again next round
            log.warning("sweeping stalled batches failed", exc_info=True)
        finally:
            connection.close()
        threading.Event().wait(interval)
