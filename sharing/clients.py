"""Issuing, rotating and revoking API clients' tokens; every change takes the acting user and writes an audit row.

Tokens look like `gra_<8 hex>_<secret>`; only the prefix and the SHA-256 are stored (regions/tokens.py helpers).
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from regions.audit import record_event
from regions.choices import AuditVerb
from regions.tokens import hash_token, new_token_string

from .choices import ClientAction
from .models import ApiClient, ClientAuditEvent

CLIENT_TOKEN_KIND = "gra"  # noqa: S105 (a public prefix, not a secret)


def _new_token() -> tuple[str, str, str]:
    raw, prefix = new_token_string(CLIENT_TOKEN_KIND)
    return raw, prefix, hash_token(raw)


VERBS = {ClientAction.CREATE: AuditVerb.CREATE_CLIENT, ClientAction.ROTATE: AuditVerb.ROTATE_CLIENT_TOKEN,
         ClientAction.REVOKE: AuditVerb.REVOKE_CLIENT, ClientAction.FLAG: AuditVerb.CHANGE_CLIENT,
         ClientAction.UNFLAG: AuditVerb.CHANGE_CLIENT}  # fmt: skip


def _audit(client: ApiClient, action: str, acting_user, note: str = "", before: dict | None = None) -> None:
    """The client's own history (ClientAuditEvent, shown on its page) and the platform's audit trail."""
    user = acting_user if getattr(acting_user, "pk", None) and not isinstance(acting_user, ApiClient) else None
    ClientAuditEvent.objects.create(
        client=client, action=action, acting_user=user,
        token_prefix=client.token_prefix, note=note,
    )  # fmt: skip
    after = {"token_prefix": client.token_prefix, "revoked": client.revoked_at is not None,
             "flagged": client.flagged_at is not None}  # fmt: skip
    if action == ClientAction.CREATE:
        after |= {"subcategories": sorted(client.subcategories.values_list("code", flat=True)),
                  "max_sensitivity": client.max_sensitivity, "rate_limit": client.rate_limit}  # fmt: skip
    record_event(VERBS[action], actor=acting_user, obj=client, region=client.region_id,
                 label=f"接入方 {client.name}", before=before, after=after, note=note)  # fmt: skip


@transaction.atomic
def create_client(
    *,
    name: str,
    subcategories,
    region,
    max_sensitivity: str,
    acting_user,
    department: str = "",
    contact: str = "",
    rate_limit: int = 600,
    expires_at: datetime | None = None,
) -> tuple[ApiClient, str]:
    """Create a client allowed to read `subcategories` in the subtree of `region`; returns it and its token."""
    raw, prefix, digest = _new_token()
    client = ApiClient.objects.create(
        name=name, department=department, contact=contact, token_prefix=prefix, token_hash=digest,
        region_id=getattr(region, "pk", region),
        max_sensitivity=max_sensitivity, rate_limit=rate_limit, expires_at=expires_at,
        created_by=acting_user if getattr(acting_user, "pk", None) else None,
    )  # fmt: skip
    client.subcategories.set(subcategories)
    _audit(client, ClientAction.CREATE, acting_user)
    return client, raw


@transaction.atomic
def rotate_token(client: ApiClient, *, acting_user) -> str:
    """Replace the client's token: the old one stops working at once; returns the new token (shown once)."""
    raw, prefix, digest = _new_token()
    old = client.token_prefix
    client.token_prefix, client.token_hash = prefix, digest
    client.save(update_fields=["token_prefix", "token_hash"])
    _audit(client, ClientAction.ROTATE, acting_user, note=f"旧令牌前缀 {old}", before={"token_prefix": old})
    return raw


@transaction.atomic
def revoke_client(client: ApiClient, *, acting_user, note: str = "") -> None:
    """Revoke the client from now on (its token gets 401); revoking twice keeps the first time."""
    if client.revoked_at is None:
        client.revoked_at = timezone.now()
        client.save(update_fields=["revoked_at"])
    _audit(client, ClientAction.REVOKE, acting_user, note=note)


def find_client(raw: str) -> ApiClient | None:
    """The client whose token is `raw` (live or not), or None."""
    if not raw.startswith(CLIENT_TOKEN_KIND + "_"):
        return None
    return ApiClient.objects.unrestricted("authentication: token look-up").filter(token_hash=hash_token(raw)).first()


@transaction.atomic
def flag_client(client: ApiClient, reason: str, *, acting_user=None) -> None:
    """Mark a client for administrators (its pages show the flag and the reason): sharing.lookups calls this when a
    request looks like enumeration; the acting party is the client itself."""
    client.flagged_at, client.flag_reason = timezone.now(), reason[:300]
    client.save(update_fields=["flagged_at", "flag_reason"])
    _audit(client, ClientAction.FLAG, acting_user if acting_user is not None else client, note=reason[:500],
           before={"flagged": False})  # fmt: skip


@transaction.atomic
def unflag_client(client: ApiClient, *, acting_user, note: str = "") -> None:
    """An administrator clears the flag after checking the client's use, with the conclusion as the note."""
    client.flagged_at, client.flag_reason = None, ""
    client.save(update_fields=["flagged_at", "flag_reason"])
    _audit(client, ClientAction.UNFLAG, acting_user, note=note[:500], before={"flagged": True})
