"""Webhooks: a client's URL is notified, with an HMAC-SHA256 signed JSON payload, when records of its subcategories
and regions change.

Deliveries are cut from the change feed itself (reads.changes_page with the client's principal, so the same scoping
and masking apply): `collect_deliveries` turns the versions after a webhook's cursor into deliveries and advances the
cursor in the same transaction, so every change is notified once. `scan_webhooks` does it for every live webhook and
is run by the `dispatch_webhooks` command (a loop or a cron) or its task after a merge, revert or resolve.
Failed deliveries are retried with exponential backoff, at most MAX_ATTEMPTS times.
"""

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from basedb.models import RecordVersion
from grassroots.api import ApiError

from .auth import ClientPrincipal
from .choices import DeliveryStatus
from .models import ApiClient, Webhook, WebhookDelivery
from .reads import changes_page

SIGNATURE_HEADER = "X-Grassroots-Signature"
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min between the six attempts
CHANGES_PER_DELIVERY = 500
TIMEOUT_SECONDS = 10
MAX_WEBHOOKS_PER_CLIENT = 5


def sign(secret: str, body: bytes) -> str:
    """The signature header value: `sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret>`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _check_url(url: str) -> None:
    """http(s) only; when settings.SHARING_WEBHOOK_ALLOWED_HOSTS (host names or dotted suffixes such as
    ".gov.example") is set, only those hosts, so a client cannot make the platform call arbitrary internal addresses."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ApiError("invalid_parameter", "回调地址应为 http(s):// 开头的完整地址", param="url")
    allowed_hosts = getattr(settings, "SHARING_WEBHOOK_ALLOWED_HOSTS", None)
    host = parts.hostname.lower()
    if allowed_hosts is not None and not any(
        host == h or (h.startswith(".") and host.endswith(h)) for h in allowed_hosts
    ):
        raise ApiError("invalid_parameter", f"回调地址的主机 {host} 不在平台允许的范围内", param="url")


@transaction.atomic
def register_webhook(client: ApiClient, url: str) -> tuple[Webhook, str]:
    """Register `url` for the client; notifications start with the next change. Returns it and its secret."""
    _check_url(url)
    if client.webhooks.count() >= MAX_WEBHOOKS_PER_CLIENT:
        raise ApiError("too_many_webhooks", f"每个接入方最多登记 {MAX_WEBHOOKS_PER_CLIENT} 个回调地址", param="url")
    secret = secrets.token_urlsafe(32)
    cursor = RecordVersion.objects.unrestricted("webhooks: the change feed's position").aggregate(m=Max("id"))["m"] or 0
    return Webhook.objects.create(client=client, url=url, secret=secret, cursor=cursor), secret


def _payload_json(webhook: Webhook, results: list[dict]) -> dict:
    body = {"webhook": webhook.pk, "client": webhook.client.name, "changes": results}
    return json.loads(json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False))


def collect_deliveries(webhook_id: int) -> list[WebhookDelivery]:
    """Cut the changes after the webhook's cursor into deliveries (≤ CHANGES_PER_DELIVERY each), advancing it."""
    created = []
    while True:
        with transaction.atomic():
            webhook = Webhook.objects.select_for_update().select_related("client").get(pk=webhook_id)
            read = changes_page(ClientPrincipal(webhook.client), after=webhook.cursor, size=CHANGES_PER_DELIVERY)
            results = read.body["results"]
            if not results:
                return created
            delivery = WebhookDelivery.objects.create(
                webhook=webhook, payload=_payload_json(webhook, results), first_version=results[0]["id"],
                last_version=results[-1]["id"],
            )  # fmt: skip
            Webhook.objects.filter(pk=webhook.pk).update(cursor=results[-1]["id"])
            created.append(delivery)
        if not read.body["has_more"]:
            return created


def live_webhooks():
    now = timezone.now()
    return Webhook.objects.filter(
        Q(client__expires_at__isnull=True) | Q(client__expires_at__gt=now),
        enabled=True, client__enabled=True, client__revoked_at__isnull=True,
    )  # fmt: skip


def scan_webhooks() -> list[WebhookDelivery]:
    """Collect new deliveries for every live webhook (the caller sends them)."""
    deliveries = []
    for webhook_id in live_webhooks().values_list("pk", flat=True):
        deliveries.extend(collect_deliveries(webhook_id))
    return deliveries


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt after `attempts` failed ones: BASE, 2×BASE, 4×BASE, ..."""
    return timedelta(seconds=BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0))


def _post(url: str, body: bytes, headers: dict) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 (checked scheme)
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.status


def deliver(delivery_id: int) -> WebhookDelivery:
    """Attempt one delivery: 2xx marks it delivered; otherwise the error is logged and a retry is scheduled
    (`next_attempt_at`), until MAX_ATTEMPTS, after which it is failed."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status != DeliveryStatus.PENDING:
        return delivery
    body = json.dumps(delivery.payload, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: sign(delivery.webhook.secret, body),
        "X-Grassroots-Delivery": str(delivery.pk),
        "User-Agent": "grassroots-webhook/1",
    }
    delivery.attempts += 1
    try:
        delivery.response_status = _post(delivery.webhook.url, body, headers)
        error = "" if 200 <= delivery.response_status < 300 else f"HTTP {delivery.response_status}"
    except urllib.error.HTTPError as exc:
        delivery.response_status, error = exc.code, f"HTTP {exc.code}"
    except (OSError, ValueError) as exc:
        error = f"{type(exc).__name__}: {exc}"[:1000]
    _record_attempt(delivery, error)
    return delivery


def _record_attempt(delivery: WebhookDelivery, error: str) -> None:
    now = timezone.now()
    delivery.last_error = error
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, now, None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
    else:
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()


def due_deliveries():
    """Pending deliveries whose next attempt is due (new ones have none yet)."""
    now = timezone.now()
    return WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
