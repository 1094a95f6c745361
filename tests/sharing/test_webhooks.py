"""Webhooks: registration, signed deliveries cut from the change feed (same scope and masking), retries with
exponential backoff up to a bound, and the delivery log. Deliveries go to a local HTTP server on 127.0.0.1 only,
which these tests allow explicitly (SHARING_WEBHOOK_ALLOWED_NETWORKS); test_webhook_ssrf.py covers the refusals."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.utils import timezone

from basedb.merge import merge_batch
from sharing.models import WebhookDelivery
from sharing.tasks import deliver_webhook_task, scan_webhooks_task
from sharing.webhooks import (
    BACKOFF_BASE_SECONDS,
    DELIVERY_FAILED,
    MAX_ATTEMPTS,
    SIGNATURE_HEADER,
    deliver,
    scan_webhooks,
    verify_signature,
)
from tests.basedb.conftest import person, staged_batch
from tests.conftest import TOWNSHIP_A
from tests.sharing.conftest import OTHER_PEOPLE, other_township


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.SHARING_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


class Receiver:
    """A local HTTP server recording what it receives; answers with `status`."""

    def __init__(self):
        self.received: list[tuple[dict, bytes]] = []
        self.status = 200
        self.location = None  # a redirect's target, sent with a 3xx status
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # a client following a redirect may come back with a GET
                self.headers["Content-Length"] = "0"
                self.do_POST()

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.status)
                if receiver.location:
                    self.send_header("Location", receiver.location)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        # shutdown() waits for the loop's next poll: 50 ms instead of the default 0.5 s per test
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hook(api, receiver):
    response = api.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
    assert response.status_code == 201
    return response.json()


def change_something(user):
    merge_batch(staged_batch(TOWNSHIP_A, [person(1, phone="13911112222"), person(40)]), acting_user=user)
    elsewhere = staged_batch(other_township(), [person(n, phone="13000000000") for n in OTHER_PEOPLE])
    merge_batch(elsewhere, acting_user=user)


def test_registering_returns_the_secret_once(api, hook):
    assert hook["secret"]
    listed = api.get("/api/v1/webhooks/").json()
    assert [w["url"] for w in listed] == [hook["url"]] and "secret" not in listed[0]


def test_only_http_urls_are_accepted(api):
    response = api.post("/api/v1/webhooks/", {"url": "ftp://127.0.0.1/x"}, format="json")
    assert (response.status_code, response.json()["param"]) == (400, "url")


def test_a_delivery_is_signed_and_carries_the_scoped_masked_changes(api, hook, receiver, city_officer):
    change_something(city_officer)
    deliveries = scan_webhooks()
    assert len(deliveries) == 1
    delivered = deliver(deliveries[0].pk)
    assert delivered.status == "delivered" and delivered.attempts == 1
    headers, body = receiver.received[0]
    timestamp, _, signature = headers[SIGNATURE_HEADER].partition(",v1=")
    signed = timestamp.removeprefix("t=").encode() + b"." + body
    assert signature == hmac.new(hook["secret"].encode(), signed, hashlib.sha256).hexdigest()
    assert verify_signature(hook["secret"], body, headers[SIGNATURE_HEADER])
    changes = json.loads(body)["changes"]
    assert sorted((c["action"], c["region"]) for c in changes) == [("create", TOWNSHIP_A), ("update", TOWNSHIP_A)]
    update = next(c for c in changes if c["action"] == "update")
    assert update["changes"] == {"phone": ["138****0001", "139****2222"]}


def test_each_change_is_notified_once(api, hook, receiver, city_officer):
    change_something(city_officer)
    assert len(scan_webhooks()) == 1
    assert scan_webhooks() == []


def test_a_failed_delivery_is_retried_with_backoff_then_given_up(api, hook, receiver, city_officer):
    receiver.status = 500
    change_something(city_officer)
    delivery = scan_webhooks()[0]
    before = timezone.now()
    delivery = deliver(delivery.pk)
    assert (delivery.status, delivery.attempts, delivery.last_error) == ("pending", 1, DELIVERY_FAILED)
    assert delivery.next_attempt_at >= before + timedelta(seconds=BACKOFF_BASE_SECONDS)
    waits = []
    for _ in range(MAX_ATTEMPTS - 1):
        previous = timezone.now()
        delivery = deliver(delivery.pk)
        if delivery.next_attempt_at:
            waits.append((delivery.next_attempt_at - previous).total_seconds())
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert [round(w / BACKOFF_BASE_SECONDS) for w in waits] == [2, 4, 8, 16]
    assert len(receiver.received) == MAX_ATTEMPTS


def test_an_unreachable_url_logs_the_error(api, client_token, city_officer):
    from sharing.webhooks import register_webhook

    register_webhook(client_token[0], "http://127.0.0.1:9/closed")
    change_something(city_officer)
    delivery = deliver(scan_webhooks()[0].pk)
    assert delivery.status == "pending" and delivery.last_error


def test_the_tasks_scan_and_deliver(api, hook, receiver, city_officer, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    change_something(city_officer)
    scan_webhooks_task.enqueue()
    assert WebhookDelivery.objects.get().status == "delivered"
    assert deliver_webhook_task.enqueue(WebhookDelivery.objects.get().pk).return_value["status"] == "delivered"


def test_the_delivery_log_is_readable_by_the_client(api, hook, receiver, city_officer):
    change_something(city_officer)
    deliver(scan_webhooks()[0].pk)
    log = api.get(f"/api/v1/webhooks/{hook['id']}/deliveries/").json()
    assert [(d["status"], d["attempts"], d["response_status"]) for d in log] == [("delivered", 1, 200)]


def test_a_webhook_can_be_deleted(api, hook):
    assert api.delete(f"/api/v1/webhooks/{hook['id']}/").status_code == 204
    assert api.get("/api/v1/webhooks/").json() == []


def test_the_dispatch_command_cuts_and_sends(api, hook, receiver, city_officer):
    from django.core.management import call_command

    change_something(city_officer)
    call_command("dispatch_webhooks")
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.received) == 1


def test_an_allow_list_of_hosts_is_enforced_when_configured(api, settings, monkeypatch):
    monkeypatch.setattr("sharing.outbound.resolve_host", lambda host, port: ["93.184.216.34"])
    settings.SHARING_WEBHOOK_ALLOWED_HOSTS = [".example.gov.cn"]
    refused = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:5432/"}, format="json")
    assert (refused.status_code, refused.json()["param"]) == (400, "url")
    accepted = api.post("/api/v1/webhooks/", {"url": "https://hooks.example.gov.cn/x"}, format="json")
    assert accepted.status_code == 201
