"""Project-wide models that belong to no domain app."""

from django.db import models


class WriteMark(models.Model):
    """Where in the primary's write-ahead log the last change of a user or API client ended.

    Reads on the replica wait until it has replayed past this position (read-your-writes, grassroots/replica.py).
    One row per actor, moved forward on every change; written only when a replica is configured.
    """

    actor = models.CharField("操作者", max_length=64, primary_key=True)  # "user:<pk>" or "client:<pk>"
    lsn = models.BigIntegerField("日志位置")  # WAL bytes since 0/0 (pg_lsn - '0/0')
    written_at = models.DateTimeField("写入时间")

    class Meta:
        verbose_name = "写入位置"
        verbose_name_plural = "写入位置"

    def __str__(self) -> str:
        return f"{self.actor} @ {self.lsn}"
