from django.db import models


class EntryStatus(models.TextChoices):
    """What the township found when it checked a work-list entry (door to door or on the phone)."""

    PENDING = "pending", "待核实"
    CONFIRMED = "confirmed", "属实"
    REFUTED = "refuted", "不属实"
    DONE = "done", "已办理"


# Statuses a township may set; 待核实 is where every entry starts (and restarts when it matches again).
FEEDBACK_STATUSES = (EntryStatus.CONFIRMED, EntryStatus.REFUTED, EntryStatus.DONE)


class RunScope(models.TextChoices):
    """How much of the base database an evaluation looked at."""

    FULL = "full", "全量"
    REGION = "region", "指定区域"
    CHANGES = "changes", "增量（入库变更）"


class VersionSource(models.TextChoices):
    """Where a rule version came from."""

    FILE = "file", "规则文件"
    WEB = "web", "页面编辑"


CLOSED_NO_LONGER_MATCHES = "数据变化不再符合"
