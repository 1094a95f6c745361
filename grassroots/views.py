"""Project-level pages: the home page and the health check."""

import logging

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render

from .replica import replica_reads

logger = logging.getLogger(__name__)


def healthz(request):
    """200 when the database answers, 503 otherwise; for load balancers and monitoring."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any database failure means "not healthy"
        logger.error("health check failed", extra={"error": str(exc)})
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
@replica_reads
def home(request):
    """首页: the progress board for officers and administrators, a township summary for collectors, the grid work
    page for village and grid users, else a short orientation."""
    from basedb.views import home_page  # the base database's pages own the board
    from gridwork.area import is_area_user

    if is_area_user(request.user):
        return redirect("gridwork:home")
    return home_page(request) or render(request, "home.html")


def _has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def permission_denied(request, exception=None):
    """403 in Chinese: the PermissionDenied message when it is written for users (Chinese), else a generic text."""
    message = str(exception) if exception is not None else ""
    reason = message if _has_chinese(message) else "您没有访问此页面的权限。如需开通，请联系所在区县的管理员。"
    return render(request, "403.html", {"reason": reason}, status=403)


def page_not_found(request, exception=None):
    """404 in Chinese; Django's own message (in English) is not shown."""
    return render(request, "404.html", status=404)


def server_error(request):
    """500 rendered without a request context: the database or a context processor may be what failed."""
    from django.http import HttpResponseServerError
    from django.template import loader

    return HttpResponseServerError(loader.get_template("500.html").render())
