from django.apps import AppConfig


def reevaluate_later() -> None:
    from .tasks import reevaluate_changes_task

    reevaluate_changes_task.enqueue()


class MatchingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "matching"
    verbose_name = "业务匹配"

    def ready(self) -> None:
        # After every committed merge, revert or resolution, re-evaluate the entities it changed (basedb never
        # imports matching: it calls its subscribers, see basedb.history.subscribe_to_changes).
        from basedb.history import subscribe_to_changes
        from basedb.placement import subscribe_to_placement

        from .evaluation import sync_entry_places

        subscribe_to_changes(reevaluate_later)
        # A record placed again (by hand, after a region tree change) takes its entries along.
        subscribe_to_placement(sync_entry_places)
