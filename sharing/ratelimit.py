"""Per-client rate limit (requests per minute) on a database counter, so it holds across gunicorn workers."""

from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from rest_framework.throttling import BaseThrottle

from .models import RateCounter

KEEP_WINDOWS = timedelta(minutes=5)


def hit(client_id: int, now=None) -> int:
    """Count one request of the client in the current minute; returns the minute's count so far."""
    now = now or timezone.now()
    window = now.replace(second=0, microsecond=0)
    counters = RateCounter.objects.filter(client_id=client_id, window=window)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A counter lost in a crash costs nothing; not waiting for the WAL flush saves a disk sync per request.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if not counters.update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateCounter.objects.create(client_id=client_id, window=window, count=1)
                RateCounter.objects.filter(client_id=client_id, window__lt=window - KEEP_WINDOWS).delete()
            except IntegrityError:  # another worker created the minute's row first
                counters.update(count=F("count") + 1)
        return counters.values_list("count", flat=True).first() or 1


class ClientRateThrottle(BaseThrottle):
    """DRF throttle: 429 once a client passes its `rate_limit` requests in the current minute."""

    def allow_request(self, request, view) -> bool:
        client = getattr(request.user, "api_client", None)
        if client is None:
            return True
        now = timezone.now()
        self._wait = 60 - now.second
        return hit(client.pk, now) <= client.rate_limit

    def wait(self) -> float:
        return getattr(self, "_wait", 60)
