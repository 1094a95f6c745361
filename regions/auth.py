"""Authentication: login throttling for the web login, and `Authorization: Token <key>` for API clients."""

from axes.backends import AxesStandaloneBackend
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import find_user_token


class AxesRequestBackend(AxesStandaloneBackend):
    """django-axes' lockout check for every authentication that comes with an HTTP request.

    Calls without a request (the test client's `login()`, management commands, the shell) have no client IP to
    throttle by; stock axes refuses them with an exception, this backend lets the next backend decide instead.
    Every HTTP login path (the login page, the admin login) passes the request and is throttled.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class HashedTokenAuthentication(authentication.BaseAuthentication):
    """DRF authentication by a personal token; the database holds only the token's SHA-256 (regions/tokens.py)."""

    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("令牌格式错误，应为：Authorization: Token <令牌>")
        raw = header[1].decode(errors="replace")
        token = find_user_token(raw)
        if token is None:
            raise exceptions.AuthenticationFailed("令牌无效、已过期或已被吊销")
        # Record use at most once a minute, so an API client's burst does not write on every request.
        if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60:
            type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword


class HashedTokenScheme(OpenApiAuthenticationExtension):
    """Describes the token scheme in the OpenAPI schema, so Swagger UI offers an "Authorize: Token ..." box."""

    target_class = HashedTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "个人或接入方令牌，格式：Token <令牌>",
        }
