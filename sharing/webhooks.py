"""Webhooks: a client's URL is notified, with an HMAC-SHA256 signed JSON payload, when records of its subcategories
and regions change.

Deliveries are cut from the change feed itself (reads.changes_page with the client's principal, so the same scoping
and masking apply): `collect_deliveries` turns the versions after a webhook's cursor into deliveries and advances the
cursor in the same transaction, so every change is notified once. `scan_webhooks` does it for every live webhook and
is run by the `dispatch_webhooks` command (a loop or a cron) or its task after a merge, revert or resolve.
Failed deliveries are retried with exponential backoff, at most MAX_ATTEMPTS times.

Where a webhook may point is decided in outbound.py (allow-list, no internal addresses, after DNS resolution, no
redirects). Every failure is logged to the client as the same DELIVERY_FAILED, whatever the cause (refused address,
DNS, connection, timeout, TLS, a non-2xx answer): the delivery log must not tell a client which ports or hosts
answer; the server log keeps the cause for operators. Signatures: `t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>.<body>">`, to be checked within REPLAY_WINDOW_SECONDS (docs/api.md).
"""

import hashlib
import hmac
import http.client
import json
import logging
import secrets
import time
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from basedb.models import RecordVersion
from grassroots.api import ApiError

from .auth import ClientPrincipal
from .choices import DeliveryStatus
from .models import ApiClient, Webhook, WebhookDelivery
from .outbound import UnsafeDestination, checked_destination, post
from .reads import changes_page

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Grassroots-Signature"
MAX_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 30  # 30 s, 1 min, 2 min, 4 min, 8 min between the six attempts
CHANGES_PER_DELIVERY = 500
TIMEOUT_SECONDS = 10
MAX_WEBHOOKS_PER_CLIENT = 5


REPLAY_WINDOW_SECONDS = 300  # a receiver refuses a signature whose timestamp is further than this from its clock
DELIVERY_FAILED = "投递失败：未收到 2xx 响应（地址不可用、无法连接、超时或返回了其他状态码）"
URL_REFUSED = "回调地址不可用：须为 http(s):// 开头、平台允许范围内的公网地址（不能是内网、本机或云平台元数据地址）"


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`: the time is signed
    with the body, so a captured delivery cannot be replayed later than the receiver's window."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def verify_signature(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """A receiver's check (also in docs/api.md): the v1 signature matches and t is within the replay window."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if not fields.get("t", "").isdigit() or "v1" not in fields:
        return False
    if abs((time.time() if now is None else now) - int(fields["t"])) > REPLAY_WINDOW_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, body, int(fields["t"])), f"t={fields['t']},v1={fields['v1']}")


def _check_url(url: str) -> None:
    """The URL's destination is allowed (outbound.checked_destination); one message whatever the reason, so
    registering cannot probe which internal names resolve."""
    try:
        checked_destination(url)
    except UnsafeDestination as exc:
        raise ApiError("invalid_parameter", URL_REFUSED, param="url") from exc


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


def deliver(delivery_id: int) -> WebhookDelivery:
    """Attempt one delivery: 2xx marks it delivered; otherwise DELIVERY_FAILED is logged for the client (the cause
    for operators in the server log) and a retry is scheduled (`next_attempt_at`), until MAX_ATTEMPTS."""
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
    cause = ""
    try:
        status = post(delivery.webhook.url, body, headers, TIMEOUT_SECONDS)
        cause = "" if 200 <= status < 300 else f"HTTP {status}"
    except UnsafeDestination as exc:
        cause = f"refused destination ({exc})"
    except (OSError, ValueError, http.client.HTTPException) as exc:
        cause = f"{type(exc).__name__}: {exc}"[:500]
    delivery.response_status = None if cause else status
    if cause:
        logger.warning("webhook delivery failed", extra={"delivery": delivery.pk, "cause": cause})
    _record_attempt(delivery, DELIVERY_FAILED if cause else "")
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
