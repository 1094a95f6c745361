"""API-wide conventions: every error is JSON with a stable code and a Chinese message."""

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

_CODES = {
    status.HTTP_400_BAD_REQUEST: ("invalid", "请求参数有误"),
    status.HTTP_401_UNAUTHORIZED: ("not_authenticated", "未登录或未提供令牌（请求头 Authorization: Token <令牌>）"),
    status.HTTP_403_FORBIDDEN: ("permission_denied", "没有权限执行此操作"),
    status.HTTP_404_NOT_FOUND: ("not_found", "对象不存在或无权访问"),
    status.HTTP_405_METHOD_NOT_ALLOWED: ("method_not_allowed", "不支持的请求方法"),
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: ("too_large", "上传内容过大"),
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: ("unsupported_media_type", "不支持的内容类型"),
    status.HTTP_429_TOO_MANY_REQUESTS: ("throttled", "请求过于频繁，请稍后再试"),
}


class ApiError(exceptions.APIException):
    """A domain error with a stable code, a Chinese message and optionally the offending parameter."""

    status_code = status.HTTP_400_BAD_REQUEST

    def __init__(self, code: str, message: str, *, param: str | None = None, status_code: int | None = None):
        super().__init__(detail=message, code=code)
        self.error_code = code
        self.param = param
        if status_code:
            self.status_code = status_code


def exception_handler(exc, context):
    """Wrap DRF's handler so the body is always {"code", "message", ["param"], ["detail"]}."""
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    code, message = _CODES.get(response.status_code, ("error", "请求失败"))
    body = {"code": code, "message": message}
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": str(exc.detail)}
        if exc.param:
            body["param"] = exc.param
    elif isinstance(exc, exceptions.AuthenticationFailed):
        # Our authentication classes say why in Chinese (bad format, unknown, expired or revoked token).
        body = {"code": "authentication_failed", "message": str(exc.detail)}
    elif isinstance(exc, exceptions.ValidationError):
        body["detail"] = response.data
        if isinstance(response.data, dict) and response.data:
            body["param"] = next(iter(response.data))
    elif isinstance(exc, exceptions.Throttled) and exc.wait:
        body["message"] = f"请求过于频繁，请 {int(exc.wait) + 1} 秒后再试"
    return Response(body, status=response.status_code, headers=dict(response.items()))
