"""Authentication of API clients: `Authorization: Token gra_...` resolves to a ClientPrincipal.

The principal carries the client into regions.access.scope_for (its region subtree, VIEW only), so the sharing API
is scoped by the same single access decision as the web UI. Sharing endpoints accept only client tokens: a
platform user's personal token or session gets 401/403 there (see docs/api.md, "认证").
"""

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from .clients import find_client
from .models import ApiClient

# last_used_at is written at most once a minute per client, so a burst of requests does not write on each.
LAST_USED_RESOLUTION_SECONDS = 60


class ClientPrincipal:
    """The request.user of a client request: authenticated, never a superuser, scoped through `api_client`."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False
    is_staff = False

    def __init__(self, client: ApiClient):
        self.api_client = client
        self.is_active = client.is_live
        self.pk = None
        self.username = f"client:{client.name}"

    def __str__(self) -> str:
        return self.username


class ClientTokenAuthentication(authentication.BaseAuthentication):
    """`Authorization: Token gra_<prefix>_<secret>`; unknown, revoked, disabled or expired tokens get 401."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误，应为：Authorization: Token <令牌>")
        client = find_client(header[1].decode(errors="replace"))
        if client is None:
            raise exceptions.AuthenticationFailed("接入方令牌无效（数据共享接口只接受接入方令牌）")
        if client.revoked_at:
            raise exceptions.AuthenticationFailed("接入方令牌已被吊销")
        if not client.enabled:
            raise exceptions.AuthenticationFailed("接入方已停用")
        if not client.is_live:
            raise exceptions.AuthenticationFailed("接入方令牌已过期")
        now = timezone.now()
        if client.last_used_at is None or (now - client.last_used_at).total_seconds() > LAST_USED_RESOLUTION_SECONDS:
            ApiClient.objects.unrestricted("authentication: the client's own last use").filter(pk=client.pk).update(
                last_used_at=now
            )
        return ClientPrincipal(client), client

    def authenticate_header(self, request):
        return self.keyword


class IsApiClient(permissions.BasePermission):
    """Only live API clients may call the sharing endpoints."""

    message = "数据共享接口只接受接入方令牌"

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "api_client", None) is not None and request.user.is_active


class ClientTokenScheme(OpenApiAuthenticationExtension):
    target_class = ClientTokenAuthentication
    name = "clientTokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "接入方令牌，格式：Token gra_xxxxxxxx_xxxx",
        }
