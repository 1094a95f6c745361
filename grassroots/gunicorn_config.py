"""gunicorn settings used by `manage.py serve` (`-c python:grassroots.gunicorn_config`): JSON logs on stdout."""

from grassroots.logging import GUNICORN_LOGCONFIG

logconfig_dict = GUNICORN_LOGCONFIG
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms'
