"""Statistical reports filled from the base database (一表通): report forms as data, their versions, and the reports
a region confirmed (确认上报), frozen as they were.

A `ReportForm` is written in the form language of reports/definition.py and stored as its canonical definition;
every change is a `ReportFormVersion` (who, when, what changed). Filling a form (reports/filling.py) reads the base
database and stores nothing; confirming it stores a `Submission`: the filled values, per-cell notes, who and when.
Later changes of the data or of the form never touch a submission.
"""

from django.conf import settings
from django.db import models

from grassroots.definitions import DefinitionVersion
from regions.access import RegionScopedQuerySet

from .choices import VersionSource


class ReportForm(models.Model):
    """A report form (报表): title, issuing department, rows and indicator columns (definition)."""

    code = models.CharField("报表代码", max_length=64, unique=True)
    title = models.CharField("报表名称", max_length=100)
    department = models.CharField("制表机关", max_length=100)
    definition = models.JSONField("报表定义", default=dict)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("当前版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "报表"
        verbose_name_plural = "报表"
        ordering = ["department", "code"]

    def __str__(self) -> str:
        return f"{self.title}（{self.code}）"

    @property
    def current_version(self) -> "ReportFormVersion":
        return self.versions.get(version=self.version)


class ReportFormVersion(DefinitionVersion):
    """One version of a form: the whole definition as it was, where it came from, who changed it and what changed
    (`changes`: {field: [old, new]}, empty for the first version). Submissions point at the version they filled."""

    form = models.ForeignKey(ReportForm, verbose_name="报表", on_delete=models.CASCADE, related_name="versions")
    definition = models.JSONField("报表定义")
    source = models.CharField("来源", max_length=10, choices=VersionSource.choices)

    class Meta:
        verbose_name = "报表版本"
        verbose_name_plural = "报表版本"
        ordering = ["form", "-version"]
        constraints = [models.UniqueConstraint(fields=["form", "version"], name="uniq_report_form_version")]

    def __str__(self) -> str:
        return f"{self.form_id} v{self.version}"


class Submission(models.Model):
    """A report confirmed for a region and a date (确认上报): the values as filled then, frozen, with notes.

    `rows` is the filled table ([{"key", "name", "values", "parts"}], the leftover row included with key null),
    `total` its 合计 row; `parts` keeps {column: [sum, n]} of average columns so the level above can roll averages
    up. `layout` keeps the headings (title, 表号, columns with labels, units, decimals) as they were, so the report
    reads the same after the form or the catalog changed. `notes` holds the per-cell notes
    {"<row key>|<column>": text} (row key "none" for the leftover row, "total" for 合计).
    Each confirmation of the same form, region and date is a new `number`: earlier ones stay as they were.
    """

    REGION_FIELD = "region"

    form = models.ForeignKey(ReportForm, verbose_name="报表", on_delete=models.PROTECT, related_name="submissions")
    form_version = models.ForeignKey(
        ReportFormVersion, verbose_name="报表版本", on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="填报单位", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    as_of = models.DateField("统计时点")
    number = models.PositiveIntegerField("第几次确认", default=1)
    layout = models.JSONField("表头", default=dict)
    rows = models.JSONField("各行数值", default=list)
    total = models.JSONField("合计", default=dict)
    fingerprint = models.CharField("数值摘要", max_length=64)
    notes = models.JSONField("单元格备注", default=dict, blank=True)
    note = models.TextField("说明", blank=True, default="")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="确认人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    confirmed_at = models.DateTimeField("确认时间", auto_now_add=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "已确认报表"
        verbose_name_plural = "已确认报表"
        ordering = ["form", "region", "-as_of", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["form", "region", "as_of", "number"], name="uniq_submission_number")
        ]
        indexes = [models.Index(fields=["form", "as_of", "region"], name="submission_form_date_region")]

    def __str__(self) -> str:
        return f"{self.form_id} {self.region_id} {self.as_of} #{self.number}"
