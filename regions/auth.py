"""DRF authentication by `Authorization: Token <key>` against hashed tokens."""

from django.utils import timezone
from rest_framework import authentication, exceptions

from .tokens import find_user_token


class HashedTokenAuthentication(authentication.BaseAuthentication):
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
        if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 60:
            type(token).objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
