"""Issuing and checking hashed API tokens: the secret is shown once and only its SHA-256 is stored."""

import hashlib
import secrets

from django.utils import timezone

TOKEN_PREFIX = "grt"  # noqa: S105 (a public prefix, not a secret)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_token_string(kind: str = TOKEN_PREFIX) -> tuple[str, str]:
    """A fresh token `kind_<8 hex>_<secret>` and its lookup prefix."""
    prefix = secrets.token_hex(4)
    return f"{kind}_{prefix}_{secrets.token_urlsafe(32)}", prefix


def issue_user_token(user, name: str, *, expires_at=None) -> tuple["ApiToken", str]:  # noqa: F821
    """Create a personal token for `user`; returns the stored token and the raw secret (shown once)."""
    from .models import ApiToken

    raw, prefix = new_token_string()
    token = ApiToken.objects.create(
        user=user, name=name, prefix=prefix, key_hash=hash_token(raw), expires_at=expires_at
    )
    return token, raw


def find_user_token(raw: str):
    """The live ApiToken matching `raw`, or None (unknown, revoked or expired)."""
    from .models import ApiToken

    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or token.revoked_at or (token.expires_at and token.expires_at <= timezone.now()):
        return None
    if not token.user.is_active:
        return None
    return token
