"""Intake: batches (one uploaded table), their staged rows and the issues verification found.

Every data row of a batch is stored with its normalised values, so collectors can fix cells in place and officers
can review; the base database (basedb) only ever receives the valid rows of a batch.
"""

import uuid

from django.conf import settings
from django.db import models

from regions.access import RegionScopedQuerySet

from .choices import BatchStatus, IssueRule, MergeState, Severity


class Batch(models.Model):
    """One uploaded table of one township: the stored file, the recognised sheet, its status, counts and timings.

    A workbook with several recognised sheets gives several batches sharing one `group` and one stored file.
    `owner` is who reports it, by which access is decided: its township, or the village (村/社区) of a village
    collector's upload (whose rows must be placed in the village; collection/placing.py).
    """

    REGION_FIELD = "owner"
    SUBCATEGORY_FIELD = "subcategory__code"

    file = models.FileField("文件", upload_to="uploads/%Y/%m/", max_length=255)
    original_name = models.CharField("原始文件名", max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64, db_index=True)
    size_bytes = models.BigIntegerField("文件大小", default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="上报人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="batches",
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="batches"
    )
    owner = models.ForeignKey(
        "regions.Region", verbose_name="上报单位", on_delete=models.PROTECT, related_name="+", db_index=False,
        help_text="乡镇（街道），或上报本村（社区）数据的村（社区）",
    )  # fmt: skip
    subcategory = models.ForeignKey(
        "catalog.Subcategory",
        verbose_name="数据子类",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    catalog_version = models.ForeignKey(
        "catalog.CatalogVersion",
        verbose_name="目录版本",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="batches",
    )
    sheet_name = models.CharField("工作表", max_length=100, blank=True, default="")
    header_row = models.PositiveIntegerField("表头行", null=True, blank=True)
    # Element key → {"header": text in the file, "index": 0-based column}; lets a cell fix name the right column.
    column_map = models.JSONField("列对应", default=dict, blank=True)
    group = models.UUIDField("上传批次组", default=uuid.uuid4, db_index=True)
    status = models.CharField(
        "状态", max_length=20, choices=BatchStatus.choices, default=BatchStatus.UPLOADED, db_index=True
    )

    rows = models.PositiveIntegerField("数据行数", default=0)
    valid = models.PositiveIntegerField("有效行数", default=0)
    invalid = models.PositiveIntegerField("有误行数", default=0)
    duplicates_in_file = models.PositiveIntegerField("文件内重复", default=0)
    corrections = models.PositiveIntegerField("自动修正", default=0)
    correction_summary = models.JSONField("修正统计", default=dict, blank=True)
    created = models.PositiveIntegerField("新增记录", default=0)
    updated = models.PositiveIntegerField("更新记录", default=0)
    unchanged = models.PositiveIntegerField("未变记录", default=0)
    conflicts = models.PositiveIntegerField("冲突", default=0)

    progress = models.PositiveSmallIntegerField("进度", default=0)
    error_message = models.TextField("错误信息", blank=True, default="")
    return_reason = models.TextField("退回原因", blank=True, default="")
    task_id = models.CharField("后台任务", max_length=64, blank=True, default="")
    started_at = models.DateTimeField("开始核验", null=True, blank=True)
    finished_at = models.DateTimeField("完成核验", null=True, blank=True)
    verify_seconds = models.FloatField("核验耗时（秒）", null=True, blank=True)
    # The lease of the process verifying or merging the batch (collection/leases.py): renewed while it works, so a
    # batch whose worker died is taken over by another once the lease has expired.
    lease_owner = models.CharField("处理进程", max_length=100, blank=True, default="")
    lease_expires = models.DateTimeField("租约到期", null=True, blank=True, db_index=True)
    merge_by = models.ForeignKey(  # the officer who approved the merge: a resumed merge acts for them
        settings.AUTH_USER_MODEL,
        verbose_name="审核入库人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField("上传时间", auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "上报批次"
        verbose_name_plural = "上报批次"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["region", "status"], name="batch_region_status"),
            models.Index(fields=["subcategory", "status"], name="batch_subcategory_status"),
            models.Index(fields=["owner", "status"], name="batch_owner_status"),
        ]

    def __str__(self) -> str:
        sheet = f" · {self.sheet_name}" if self.sheet_name else ""
        return f"批次 {self.pk}（{self.original_name}{sheet}）"

    def save(self, *args, **kwargs):
        # A batch reported by its township (every batch but a village collector's) is owned by the township.
        if not self.owner_id:
            self.owner_id = self.region_id
        super().save(*args, **kwargs)

    @property
    def subcategory_code(self) -> str | None:
        return self.subcategory.code if self.subcategory_id else None


class StagedRow(models.Model):
    """One data row of a batch with its values (element key → normalised value; an invalid cell keeps its text as
    in the file, so the township sees what it wrote) and whether it passed. `key` is the dedup key, None when a key
    item is empty or invalid."""

    REGION_FIELD = "batch__owner"
    SUBCATEGORY_FIELD = "batch__subcategory__code"

    # No index of its own: uniq_staged_row (batch, row) leads with the batch and serves every lookup by batch; one
    # index fewer to maintain per row for intake's bulk insert and the merge's state update.
    batch = models.ForeignKey(
        Batch, verbose_name="批次", on_delete=models.CASCADE, related_name="staged_rows", db_index=False
    )
    row = models.PositiveIntegerField("行号")  # the Excel row number a person sees (CSV: line number)
    values = models.JSONField("数据", default=dict)
    key = models.TextField("主键", null=True, blank=True)
    is_valid = models.BooleanField("有效", default=True)
    errors = models.PositiveSmallIntegerField("错误数", default=0)
    warnings = models.PositiveSmallIntegerField("警告数", default=0)
    merge_state = models.CharField("入库状态", max_length=10, choices=MergeState.choices, default=MergeState.PENDING)
    # Where the row is placed (grid, village or its township), found at intake from its grid and address items
    # (regions/placement.py); the merge gives it to the record it creates. Null for rows staged before placement.
    place = models.CharField("落位", max_length=15, null=True, blank=True)
    # 排除此行: a row the township says must not be reported (a duplicate, a person who moved away), with its reason;
    # never merged and not counted as invalid (collection/exclusions.py). Null for every row not excluded.
    excluded_at = models.DateTimeField("排除时间", null=True, blank=True)
    excluded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="排除人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    excluded_reason = models.TextField("排除原因", null=True, blank=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "暂存数据行"
        verbose_name_plural = "暂存数据行"
        ordering = ["batch", "row"]
        constraints = [models.UniqueConstraint(fields=["batch", "row"], name="uniq_staged_row")]
        indexes = [
            models.Index(fields=["batch", "key"], name="staged_batch_key"),
            # Only the rows with errors (the batch page's filter): valid rows, the bulk of every batch, are in no
            # entry of it, so storing them and marking them merged maintains one index fewer.
            models.Index(fields=["batch", "row"], name="staged_batch_invalid_row", condition=models.Q(is_valid=False)),
        ]

    def __str__(self) -> str:
        return f"批次 {self.batch_id} 第 {self.row} 行"


class BatchIssue(models.Model):
    """A verification finding of a batch at the Excel row and column the township sees; row is null for the file."""

    REGION_FIELD = "batch__owner"
    SUBCATEGORY_FIELD = "batch__subcategory__code"

    batch = models.ForeignKey(Batch, verbose_name="批次", on_delete=models.CASCADE, related_name="issues")
    staged_row = models.ForeignKey(
        StagedRow, verbose_name="数据行", null=True, blank=True, on_delete=models.CASCADE, related_name="issues"
    )
    row = models.PositiveIntegerField("行号", null=True, blank=True)
    column = models.CharField("列", max_length=200, blank=True, default="")
    column_index = models.PositiveIntegerField("列序号", null=True, blank=True)  # 0-based position in the sheet
    item = models.CharField("数据项", max_length=64, blank=True, default="")
    rule = models.CharField("规则", max_length=20, choices=IssueRule.choices)
    severity = models.CharField("级别", max_length=10, choices=Severity.choices)
    message = models.TextField("说明")
    value = models.TextField("原值", blank=True, default="")

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "核验问题"
        verbose_name_plural = "核验问题"
        ordering = ["batch", "row", "column_index", "id"]
        indexes = [
            models.Index(fields=["batch", "rule"], name="issue_batch_rule"),
            models.Index(fields=["batch", "severity"], name="issue_batch_severity"),
            models.Index(fields=["batch", "row"], name="issue_batch_row"),
        ]

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row else "文件"
        return f"{where} {self.column} {self.get_rule_display()}"

    def as_dict(self) -> dict:
        """The issue as in the CLI JSON and the API."""
        return {
            "row": self.row,
            "column": self.column or None,
            "item": self.item or None,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }


class StagedRowEdit(models.Model):
    """History of in-place fixes: who changed which cell of a staged row, from what to what, and when."""

    REGION_FIELD = "batch__owner"
    SUBCATEGORY_FIELD = "batch__subcategory__code"

    batch = models.ForeignKey(Batch, verbose_name="批次", on_delete=models.CASCADE, related_name="edits")
    staged_row = models.ForeignKey(StagedRow, verbose_name="数据行", on_delete=models.CASCADE, related_name="edits")
    item = models.CharField("数据项", max_length=64)
    old_value = models.JSONField("原值", null=True, blank=True)
    new_value = models.JSONField("新值", null=True, blank=True)
    entered = models.TextField("录入值", blank=True, default="")  # what the person typed, before normalising
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="修改人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    edited_at = models.DateTimeField("修改时间", auto_now_add=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "数据行修改记录"
        verbose_name_plural = "数据行修改记录"
        ordering = ["-edited_at", "-id"]

    def __str__(self) -> str:
        return f"{self.staged_row} {self.item}: {self.old_value} → {self.new_value}"


class RosterPolicy(models.Model):
    """How a department's city- or county-wide roster of one subcategory (数据下沉) enters the base database:
    reviewed by the department's own reviewer (部门审核员; the default, also for subcategories without a policy), or
    merged as soon as it is verified when the uploading department is the subcategory's 数源部门 in the catalog."""

    subcategory = models.OneToOneField(
        "catalog.Subcategory", verbose_name="数据子类", on_delete=models.CASCADE, related_name="roster_policy"
    )
    merge_directly = models.BooleanField(
        "数源部门上报直接入库",
        default=False,
        help_text="勾选后，该子类的数源部门上报的全市（县）名单核验后，有效行直接入库，不经部门审核员审核；"
        "其他部门（追加授权）上报的仍须审核",
    )
    note = models.CharField("说明", max_length=200, blank=True, default="")
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "部门名单入库方式"
        verbose_name_plural = "部门名单入库方式"
        ordering = ["subcategory__code"]

    def __str__(self) -> str:
        return f"{self.subcategory}：{'直接入库' if self.merge_directly else '部门审核后入库'}"
