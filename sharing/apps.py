from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sharing"
    verbose_name = "数据共享"

    def ready(self) -> None:
        # Every committed change to the base database lets the webhooks scan the change feed (basedb never imports
        # sharing: it calls its subscribers, see basedb.history.subscribe_to_changes).
        from basedb.history import subscribe_to_changes

        from .tasks import enqueue_webhook_scan

        subscribe_to_changes(enqueue_webhook_scan)
