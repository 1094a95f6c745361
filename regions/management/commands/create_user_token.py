import logging
import sys
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils import timezone

from regions.audit import AuditedCommand
from regions.tokens import issue_user_token


@contextmanager
def logs_to_stderr():
    """Point every log handler that writes to stdout at stderr while the command runs: stdout carries the token only,
    so scripts can capture it (`TOKEN=$(manage.py create_user_token ...)`)."""
    moved = []
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and handler.stream in (sys.stdout, sys.__stdout__):
                moved.append((handler, handler.setStream(sys.stderr)))
    try:
        yield
    finally:
        for handler, stream in moved:
            handler.setStream(stream)


class Command(AuditedCommand):
    help = (
        "Issue a personal API token for USERNAME and print it once (only its hash is stored). "
        "stdout carries the token only; notes and log lines go to stderr."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="what the token is for, e.g. the script using it")
        parser.add_argument("--days", type=int, default=None, help="expire after this many days (default: never)")

    def handle(self, *args, **options):
        user = get_user_model().objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"用户 {options['username']} 不存在或已停用")
        expires_at = timezone.now() + timedelta(days=options["days"]) if options["days"] else None
        with logs_to_stderr():
            token, raw = issue_user_token(user, options["name"], expires_at=expires_at)
        self.stderr.write(f"已为 {user.username} 创建令牌「{token.name}」，只显示这一次，请妥善保存。")
        self.stderr.write("调用接口时在请求头中加入：Authorization: Token <令牌>")
        self.stdout.write(raw)
