from django.apps import AppConfig


class SharingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "sharing"
    verbose_name = "数据共享"

    def ready(self) -> None:
        from basedb.history import subscribe_to_changes
        from regions.disclosure import register_writer

        from .accesslog import log_disclosure
        from .tasks import enqueue_webhook_scan

        # Every committed change to the base database lets the webhooks scan the change feed (basedb never imports
        # sharing: it calls its subscribers, see basedb.history.subscribe_to_changes).
        subscribe_to_changes(enqueue_webhook_scan)
        # Downloads of clear personal values made by the apps below (a township's annotated workbook, the 核对表) are
        # written to our access log (collection and basedb never import sharing, see regions.disclosure).
        register_writer(log_disclosure)
