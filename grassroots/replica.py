"""Reads on a PostgreSQL streaming replica: opt-in per view, read-your-writes, and a bound on the replica's lag.

Configured by DATABASE_REPLICA_URL (settings.py); without it nothing here is installed and every query goes to the
primary ("default"). With it:

- A view opts in with `@replica_reads` (or a block with `with reading_from_replica(request):`). Only there do reads
  of the models in REPLICA_READ_MODELS (base data, catalog, batches, the region tree) go to the replica. Users,
  roles, tokens, API clients, counters and logs are always read from the primary, so a revoked right or token takes
  effect at once; reads inside a transaction on the primary stay there (they are part of a write).
- Read-your-writes: after a request that changed data (POST/PUT/PATCH/DELETE answered below 400, outside
  `@replica_reads`), the primary's WAL insert position is stored for its user or API client (WriteMark). While the
  replica has not replayed up to that position (pg_last_wal_replay_lsn()), that actor's reads go to the primary.
  The position is taken after the change committed, so it is at or past its commit record: exact, not a guess.
- Lag: the replica's lag is 0 when it has replayed all the WAL it received, otherwise the age of the last
  transaction it replayed. Above REPLICA_MAX_LAG_SECONDS everyone reads the primary until it catches up.
- A replica that does not answer is skipped for REPLICA_RETRY_SECONDS; its reads go to the primary meanwhile.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
REPLICA_RETRY_SECONDS = 10
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})

log = logging.getLogger(__name__)
_reading_replica: ContextVar[bool] = ContextVar("reading_replica", default=False)
_replica_down_until = 0.0

# Lag 0 when everything received is replayed (an idle primary sends nothing, so the last replay's age means
# nothing then); NULL replay timestamp while behind = unknown = too old. A server not in recovery is no standby
# (e.g. a pooler in front of the primary): always fresh.
STATE_SQL = """
SELECT pg_is_in_recovery(),
       (pg_last_wal_replay_lsn() - '0/0')::bigint,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM now() - pg_last_xact_replay_timestamp()), 'Infinity') END
"""
MARK_SQL = """
INSERT INTO grassroots_writemark (actor, lsn, written_at)
VALUES (%s, (pg_current_wal_insert_lsn() - '0/0')::bigint, now())
ON CONFLICT (actor) DO UPDATE
SET lsn = greatest(grassroots_writemark.lsn, excluded.lsn), written_at = excluded.written_at
"""


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Reads of replica-readable models inside reading_from_replica() go to the replica; all else to the primary."""

    def db_for_read(self, model, **hints):
        if _reading_replica.get() and replica_readable(model) and not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS  # a hot standby is read-only: it gets the schema through replication


def replica_readable(model) -> bool:
    allowed = settings.REPLICA_READ_MODELS
    return model._meta.app_label in allowed or model._meta.label_lower in allowed


def actor_of(request) -> str | None:
    """The user or API client a request acts for ("user:<pk>", "client:<pk>"), None when anonymous."""
    user = getattr(request, "user", None)
    client = getattr(user, "api_client", None)
    if client is not None:
        return f"client:{client.pk}"
    if user is not None and user.is_authenticated and user.pk is not None:
        return f"user:{user.pk}"
    return None


@contextmanager
def reading_from_replica(request=None) -> Iterator[bool]:
    """Inside the block, reads go to the replica when it is fresh enough for the request's actor; yields whether."""
    if not replica_configured() or _reading_replica.get():
        yield _reading_replica.get()
        return
    if request is not None:
        getattr(request, "_request", request).replica_reads = True  # a read, even by POST: no write mark
    use = replica_is_fresh(actor_of(request) if request is not None else None)
    token = _reading_replica.set(use)
    try:
        yield use
    finally:
        _reading_replica.reset(token)


def replica_reads(view):
    """View decorator (functions; `method_decorator` for class-based views): the view reads from the replica."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with reading_from_replica(request):
            return view(request, *args, **kwargs)

    return wrapped


def replica_is_fresh(actor: str | None) -> bool:
    """Whether the replica lags at most REPLICA_MAX_LAG_SECONDS and has replayed the actor's last change."""
    state = replica_state()
    if state is None:
        return False
    in_recovery, replayed, lag = state
    if not in_recovery:
        return True
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return False
    if actor is None:
        return True
    from .models import WriteMark

    written = WriteMark.objects.using(DEFAULT_DB_ALIAS).filter(actor=actor).values_list("lsn", flat=True).first()
    return written is None or (replayed is not None and replayed >= written)


def replica_state() -> tuple[bool, int | None, float] | None:
    """(in recovery, replayed WAL position, lag in seconds) of the replica; None while it does not answer."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return None
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(STATE_SQL)
            in_recovery, replayed, lag = cursor.fetchone()
    except DatabaseError as exc:
        _replica_down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        log.warning("replica unavailable, reading the primary", extra={"error": str(exc)[:300]})
        connections[REPLICA].close()
        return None
    return in_recovery, replayed, float(lag)


def mark_write(actor: str) -> None:
    """Remember the primary's current WAL position as the actor's last change (never moved backwards)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(MARK_SQL, [actor])


class ReadYourWritesMiddleware:
    """After a request that changed data, remember where its change ended for its user or client (see above)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and response.status_code < 400 and replica_configured():
            actor = None if getattr(request, "replica_reads", False) else actor_of(request)
            if actor is not None:
                try:
                    mark_write(actor)
                except DatabaseError as exc:  # the change itself is committed; only its author may read stale
                    log.error("write mark not stored", extra={"actor": actor, "error": str(exc)[:300]})
        return response
