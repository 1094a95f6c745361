"""Issuing, checking and revoking hashed API tokens: the secret is shown once and only its SHA-256 is stored."""

import hashlib
import logging
import secrets

from django.db import transaction
from django.utils import timezone

from .audit import record_event
from .choices import AuditVerb

TOKEN_PREFIX = "grt"  # noqa: S105 (a public prefix, not a secret)

logger = logging.getLogger(__name__)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_string(kind: str = TOKEN_PREFIX) -> tuple[str, str]:
    """A fresh token `kind_<8 hex>_<secret>` and its lookup prefix."""
    prefix = secrets.token_hex(4)
    return f"{kind}_{prefix}_{secrets.token_urlsafe(32)}", prefix


@transaction.atomic
def issue_user_token(user, name: str, *, expires_at=None, acting_user=None) -> tuple["ApiToken", str]:  # noqa: F821
    """Create a personal token for `user`; returns the stored token and the raw secret (shown once)."""
    from .models import ApiToken

    raw, prefix = new_token_string()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, key_hash=hash_token(raw), expires_at=expires_at
    )
    logger.info("api token issued", extra={"token": prefix, "user": user.username, "by": _name(acting_user)})
    _record(AuditVerb.ISSUE_TOKEN, token, acting_user, after={"expires_at": expires_at})
    return token, raw


@transaction.atomic
def revoke_user_token(token, *, acting_user=None) -> None:
    """Revoke `token` from now on; revoking twice keeps the first revocation time."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        _record(AuditVerb.REVOKE_TOKEN, token, acting_user, after={"revoked_at": token.revoked_at})
    logger.info("api token revoked", extra={"token": token.prefix, "by": _name(acting_user)})


def find_user_token(raw: str):
    """The live ApiToken matching `raw`, or None (unknown, revoked, expired, or its user deactivated)."""
    from .models import ApiToken

    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= timezone.now()):
        return None
    if not token.user.is_active:
        return None
    return token


def _record(verb: str, token, acting_user, after: dict) -> None:
    """The token's event: named by its public prefix and its holder, recorded at the platform's top region."""
    record_event(verb, actor=acting_user, obj=token, label=f"令牌 {token.prefix}… · 用户 {token.user.get_username()}",
                 after=after)  # fmt: skip


def _name(user) -> str | None:
    return getattr(user, "username", None)
