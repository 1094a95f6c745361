"""Requests carrying invalid text are refused before any view or database sees them.

A NUL byte (PostgreSQL refuses it in any string: a 500 on every endpoint that passed a parameter on), another
control character (refused by the xlsx writer) or an undecodable byte (read as U+FFFD) in the path, a query or
form parameter, a JSON body, a cookie or a header answers 400: the API's JSON error body under /api/, a plain
Chinese page elsewhere. Rendered without the database or a context processor.
"""

import re

from django.http import HttpResponse, JsonResponse, QueryDict
from django.template import loader

# C0 controls except tab, line feed and carriage return; U+FFFD (undecodable bytes); lone surrogates.
INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd\ud800-\udfff]")
JSON_NUL = re.compile(rb"\x00|(?<!\\)\\u0000")
MESSAGE = "请求中含有无效字符（如空字符 NUL 或无法识别的编码），请检查网址、参数和提交的内容"
API_PREFIX = "/api/"


def invalid_part(request) -> str | None:
    """The name of the first part of the request that holds invalid text, else None."""
    if INVALID.search(request.path):
        return "path"
    for name, params in (("query", request.GET), ("form", _form(request))):
        for key, values in params.lists():
            if INVALID.search(key) or any(INVALID.search(v) for v in values):
                return key if not INVALID.search(key) else name
    for key, value in request.COOKIES.items():
        if INVALID.search(key) or INVALID.search(value):
            return "cookie"
    if any(INVALID.search(v) for k, v in request.META.items() if k.startswith("HTTP_") and isinstance(v, str)):
        return "header"
    if request.content_type == "application/json" and JSON_NUL.search(request.body):
        return "body"
    return None


FORMS = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


def _form(request) -> QueryDict:
    # The form fields (not the files): CsrfViewMiddleware parses the same POST a moment later anyway.
    if request.method == "POST" and request.content_type in FORMS:
        return request.POST
    return QueryDict()


class InvalidTextMiddleware:
    """400 for a request with invalid text anywhere a view could read it (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        part = invalid_part(request)
        if part is None:
            return self.get_response(request)
        if request.path.startswith(API_PREFIX):
            body = {"code": "invalid_text", "message": MESSAGE, "param": part}
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return HttpResponse(loader.get_template("400.html").render({"message": MESSAGE}), status=400)
