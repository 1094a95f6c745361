"""gunicorn settings used by `manage.py serve` (`-c python:grassroots.gunicorn_config`): JSON logs on stdout."""

from grassroots.logging import GUNICORN_LOGCONFIG

logconfig_dict = GUNICORN_LOGCONFIG
accesslog = "-"
# Method and path only: "%(r)s" (the request line) would log query strings, which may hold ID numbers.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# gunicorn's control socket defaults to one path per user (~/.gunicorn/gunicorn.ctl), which two instances on one
# machine would fight over; the platform does not use it.
control_socket_disable = True


def post_worker_init(worker):
    """Warm each worker before it takes its first request (grassroots/warmup.py)."""
    from grassroots.warmup import warm

    warm()
