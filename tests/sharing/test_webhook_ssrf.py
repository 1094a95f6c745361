"""Webhooks cannot reach into the platform's network (issue 11 item 15): internal addresses are refused at
registration and at delivery after DNS resolution, redirects are not followed, every failure reads the same in the
delivery log, and the signature covers a timestamp so a captured delivery cannot be replayed."""

import pytest

from sharing.models import Webhook, WebhookDelivery
from sharing.outbound import address_allowed
from sharing.webhooks import DELIVERY_FAILED, REPLAY_WINDOW_SECONDS, URL_REFUSED, deliver, sign, verify_signature
from tests.sharing.test_webhooks import Receiver, change_something

PUBLIC = "93.184.216.34"  # a public address the stand-in DNS answers (never called: nothing listens there)
UNSPECIFIED = "0.0.0.0"  # noqa: S104 (an address to refuse, not one to bind)
INTERNAL = ["127.0.0.1", "10.1.2.3", "172.16.0.5", "192.168.1.1", "100.64.0.1", "169.254.169.254", UNSPECIFIED,
            "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1"]  # fmt: skip


@pytest.fixture
def dns(monkeypatch):
    """A stand-in DNS: host name → addresses (IP literals resolve to themselves)."""
    answers = {}

    def resolve(host, port):
        return answers.get(host, [host])

    monkeypatch.setattr("sharing.outbound.resolve_host", resolve)
    return answers


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_never_callable(address):
    assert not address_allowed(address)


def test_public_addresses_are_callable_and_trusted_networks_only_when_listed(settings):
    assert address_allowed(PUBLIC)
    settings.SHARING_WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    assert address_allowed("10.20.1.1") and not address_allowed("10.21.1.1")
    settings.SHARING_WEBHOOK_ALLOWED_NETWORKS = ["169.254.0.0/16"]
    assert not address_allowed("169.254.169.254")  # the metadata address stays refused


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://[::1]/x", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.8/x",
     "http://internal.example/x", "http://user:pw@hooks.example/x", "http://hooks.example:99999/x"],
)  # fmt: skip
def test_registration_refuses_internal_destinations_with_one_message(api, dns, url):
    dns["internal.example"] = ["192.168.3.4"]
    dns["hooks.example"] = [PUBLIC]
    response = api.post("/api/v1/webhooks/", {"url": url}, format="json")
    assert response.status_code == 400
    assert (response.json()["param"], response.json()["message"]) == ("url", URL_REFUSED)


def test_a_name_that_resolves_to_one_internal_address_among_public_ones_is_refused(api, dns):
    dns["mixed.example"] = [PUBLIC, "127.0.0.1"]
    assert api.post("/api/v1/webhooks/", {"url": "http://mixed.example/x"}, format="json").status_code == 400


def test_a_name_rebound_to_an_internal_address_after_registration_is_not_called(api, dns, client_token, city_officer):
    receiver = Receiver()
    try:
        dns["rebind.example"] = [PUBLIC]
        port = receiver.server.server_port
        assert (
            api.post("/api/v1/webhooks/", {"url": f"http://rebind.example:{port}/x"}, format="json").status_code == 201
        )
        dns["rebind.example"] = ["127.0.0.1"]  # the DNS answers differently at delivery time
        change_something(city_officer)
        from sharing.webhooks import scan_webhooks

        delivery = deliver(scan_webhooks()[0].pk)
        assert delivery.status == "pending" and delivery.last_error == DELIVERY_FAILED
        assert receiver.received == []
    finally:
        receiver.close()


def _failed_delivery(settings, client_token, city_officer, url: str) -> WebhookDelivery:
    from sharing.webhooks import scan_webhooks

    settings.SHARING_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    Webhook.objects.all().delete()
    Webhook.objects.create(client=client_token[0], url=url, secret="s", cursor=0)
    WebhookDelivery.objects.all().delete()
    return deliver(scan_webhooks()[0].pk)


def test_redirects_are_not_followed_and_every_failure_reads_the_same(settings, client_token, city_officer):
    target, redirecting, failing = Receiver(), Receiver(), Receiver()
    try:
        redirecting.status, redirecting.location, failing.status = 302, target.url, 500
        change_something(city_officer)
        logged = []
        for url in (redirecting.url, failing.url, "http://127.0.0.1:9/closed"):
            delivery = _failed_delivery(settings, client_token, city_officer, url)
            logged.append((delivery.status, delivery.last_error, delivery.response_status))
        assert logged == [("pending", DELIVERY_FAILED, None)] * 3
        assert target.received == [] and len(redirecting.received) == 1
    finally:
        for receiver in (target, redirecting, failing):
            receiver.close()


def test_the_signature_covers_the_timestamp_and_expires_after_the_replay_window():
    header = sign("secret", b'{"a": 1}', timestamp=1_700_000_000)
    assert header.startswith("t=1700000000,v1=")
    assert verify_signature("secret", b'{"a": 1}', header, now=1_700_000_000 + REPLAY_WINDOW_SECONDS)
    assert not verify_signature("secret", b'{"a": 1}', header, now=1_700_000_000 + REPLAY_WINDOW_SECONDS + 1)
    assert not verify_signature("secret", b'{"a": 2}', header, now=1_700_000_000)
    forged = header.replace("t=1700000000", "t=1700000100")
    assert not verify_signature("secret", b'{"a": 1}', forged, now=1_700_000_100)
