"""Business matching (业务自动匹配): rules as data, their versions, the work lists they produce and the feedback.

A `Rule` is written in the rule language of matching/definition.py and stored as its canonical definition; every
change is a `RuleVersion` (who, when, what changed). Evaluating a rule (matching/evaluation.py) keeps one `WorkEntry`
per rule and entity: its identity survives re-evaluation, so the township's feedback (status, fact, note) survives
too, and an entry whose data no longer matches is closed, not deleted.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q

from grassroots.definitions import DefinitionVersion
from regions.access import RegionScopedQuerySet

from .choices import EntryStatus, RunScope, VersionSource


class Rule(models.Model):
    """A matching rule: what it finds (definition), who owns it (department) and on which policy (basis)."""

    code = models.CharField("规则代码", max_length=64, unique=True)
    name = models.CharField("规则名称", max_length=100)
    department = models.CharField("所属部门", max_length=100)
    basis = models.TextField("政策依据")
    description = models.TextField("说明", blank=True, default="")
    subject = models.ForeignKey(
        "catalog.Subcategory", verbose_name="主体子类", on_delete=models.PROTECT, related_name="+"
    )
    definition = models.JSONField("规则定义", default=dict)
    deadline_days = models.PositiveSmallIntegerField("处理时限（天）", default=30)
    is_active = models.BooleanField("启用", default=True)
    version = models.PositiveIntegerField("当前版本", default=1)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "匹配规则"
        verbose_name_plural = "匹配规则"
        ordering = ["department", "code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def current_version(self) -> "RuleVersion":
        return self.versions.get(version=self.version)


class RuleVersion(DefinitionVersion):
    """One version of a rule: the whole definition as it was, where it came from, who changed it and what changed
    (`changes`: {field: [old, new]}, empty for the first version). Work-list entries point at the version that
    last evaluated them."""

    rule = models.ForeignKey(Rule, verbose_name="规则", on_delete=models.CASCADE, related_name="versions")
    definition = models.JSONField("规则定义")
    source = models.CharField("来源", max_length=10, choices=VersionSource.choices)

    class Meta:
        verbose_name = "规则版本"
        verbose_name_plural = "规则版本"
        ordering = ["rule", "-version"]
        constraints = [models.UniqueConstraint(fields=["rule", "version"], name="uniq_rule_version")]

    def __str__(self) -> str:
        return f"{self.rule_id} v{self.version}"


class Fact(models.Model):
    """A fact a township may report when an entry is 不属实 (e.g. 已死亡, 已在外地参保). When the fact is base data,
    `correction_subcategory` names where the correction goes ("subject": the rule's subject subcategory) and
    `ask_items` the items the township must enter (e.g. death_date); loaded from fixtures/rules/facts.yaml."""

    SUBJECT = "subject"

    code = models.CharField("代码", max_length=40, unique=True)
    label = models.CharField("名称", max_length=100)
    correction_subcategory = models.CharField("更正子类", max_length=10, blank=True, default="")
    ask_items = models.JSONField("需填写的数据项", default=list, blank=True)
    order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "反馈事实"
        verbose_name_plural = "反馈事实"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.label

    @property
    def corrects_base_data(self) -> bool:
        return bool(self.correction_subcategory)


class EvaluationRun(models.Model):
    """One evaluation of one rule: full, for a region, or for the entities a range of the change feed touched."""

    rule = models.ForeignKey(Rule, verbose_name="规则", on_delete=models.CASCADE, related_name="runs")
    rule_version = models.ForeignKey(RuleVersion, verbose_name="规则版本", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField("范围", max_length=10, choices=RunScope.choices)
    region = models.CharField("区域", max_length=15, blank=True, default="")
    as_of = models.DateField("参考日")
    first_version = models.BigIntegerField("起始变更", null=True, blank=True)
    last_version = models.BigIntegerField("截止变更", null=True, blank=True)
    matched = models.PositiveIntegerField("在册", default=0)
    new = models.PositiveIntegerField("新增", default=0)
    closed = models.PositiveIntegerField("关闭", default=0)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    seconds = models.FloatField("耗时（秒）", null=True, blank=True)

    class Meta:
        verbose_name = "比对运行"
        verbose_name_plural = "比对运行"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.get_scope_display()} {self.started_at:%Y-%m-%d %H:%M}"


class ChangeCursor(models.Model):
    """How far the incremental re-evaluation has read the change feed (basedb RecordVersion ids); one row."""

    name = models.CharField(max_length=20, unique=True, default="default")
    last_version = models.BigIntegerField("已比对至变更", default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "增量比对进度"
        verbose_name_plural = "增量比对进度"

    def __str__(self) -> str:
        return f"{self.name}: {self.last_version}"


class WorkEntry(models.Model):
    """One entity found by one rule, in the work list (名单) of its township: identity (rule, entity) survives every
    evaluation, so the feedback does; `closed_at` is set when the data no longer matches.

    `region` is the township of the subject record (counts per township); `place` is the subject record's place
    (its grid, village or township: basedb/placement.py), by which users are scoped: village and grid users see the
    entries of the records placed in their subtree. Evaluation copies it, and so does `sync_entry_places` when a
    record is placed again without a value change.
    """

    REGION_FIELD = "place"
    # A department's users read the entries of the rules it owns, in its region (regions.access).
    DEPARTMENT_FIELD = "rule__department"

    # Indexes: only those a query uses (docs/performance.md, issue 13). The foreign keys' own indexes are off where
    # an index below leads with the column ((rule, entity), (place, rule)) or where nothing filters by it: records
    # and rule versions are never deleted, entries are read by rule, place or entity. Columns that stay empty until
    # someone gives feedback get partial indexes (only non-empty values), enough for Django's SET_NULL/PROTECT.
    rule = models.ForeignKey(
        Rule, verbose_name="规则", on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    # Entities and records are written in bulk by basedb without constraints; entries follow (see basedb.models).
    entity = models.ForeignKey(
        "basedb.Entity", verbose_name="主体", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    record = models.ForeignKey(
        "basedb.Record", verbose_name="主体记录", null=True, on_delete=models.SET_NULL, related_name="+",
        db_constraint=False, db_index=False,
    )  # fmt: skip
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False,
    )  # fmt: skip
    place = models.ForeignKey(
        "regions.Region", verbose_name="所在区域", on_delete=models.PROTECT, related_name="+", db_constraint=False,
        db_index=False,
    )  # fmt: skip
    rule_version = models.ForeignKey(
        RuleVersion, verbose_name="比对所用规则版本", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    facts = models.JSONField("比对时的数据", default=dict)
    status = models.CharField("核实状态", max_length=10, choices=EntryStatus.choices, default=EntryStatus.PENDING)
    fact = models.ForeignKey(
        Fact, verbose_name="不属实原因", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        db_index=False,
    )  # fmt: skip
    note = models.TextField("备注", blank=True, default="")
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核实人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )  # fmt: skip
    handled_at = models.DateTimeField("核实时间", null=True, blank=True)
    correction_batch = models.ForeignKey(
        "collection.Batch", verbose_name="更正批次", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", db_index=False,
    )  # fmt: skip
    opened_at = models.DateTimeField("列入时间")
    opened_run = models.ForeignKey(
        EvaluationRun, verbose_name="列入的比对", null=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    evaluated_at = models.DateTimeField("最近比对")
    closed_at = models.DateTimeField("关闭时间", null=True, blank=True)
    closed_run = models.ForeignKey(
        EvaluationRun, verbose_name="关闭的比对", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        db_index=False,
    )  # fmt: skip
    close_reason = models.CharField("关闭原因", max_length=100, blank=True, default="")

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "名单条目"
        verbose_name_plural = "名单条目"
        ordering = ["rule", "region", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "entity"], name="uniq_entry_rule_entity")]
        indexes = [
            models.Index(fields=["rule", "region", "status"], name="entry_rule_region_status"),
            models.Index(fields=["place", "rule"], name="entry_place_rule"),
            models.Index(fields=["opened_run"], name="entry_opened_run"),
            models.Index(fields=["closed_run"], name="entry_closed_run_set", condition=Q(closed_run__isnull=False)),
            models.Index(fields=["fact"], name="entry_fact_set", condition=Q(fact__isnull=False)),
            models.Index(fields=["handled_by"], name="entry_handled_by_set", condition=Q(handled_by__isnull=False)),
            models.Index(
                fields=["correction_batch"], name="entry_correction_set", condition=Q(correction_batch__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}·{self.entity_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class EntryEvent(models.Model):
    """One piece of feedback on an entry: the status set, the fact and note given, who and when."""

    REGION_FIELD = "entry__place"

    entry = models.ForeignKey(WorkEntry, verbose_name="名单条目", on_delete=models.CASCADE, related_name="events")
    status = models.CharField("核实状态", max_length=10, choices=EntryStatus.choices)
    fact = models.ForeignKey(
        Fact, verbose_name="不属实原因", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField("备注", blank=True, default="")
    correction_batch = models.ForeignKey(
        "collection.Batch", verbose_name="更正批次", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="核实人", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "核实记录"
        verbose_name_plural = "核实记录"
        ordering = ["entry", "id"]

    def __str__(self) -> str:
        return f"{self.entry_id} {self.status}"


class RuleGrant(models.Model):
    """A sharing API client allowed to read one rule's results (scoped by the client's region, masked by its
    sensitivity, logged like every sharing endpoint)."""

    client = models.ForeignKey(
        "sharing.ApiClient", verbose_name="接入方", on_delete=models.CASCADE, related_name="rule_grants"
    )
    rule = models.ForeignKey(Rule, verbose_name="规则", on_delete=models.CASCADE, related_name="grants")
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="授权人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("授权时间", auto_now_add=True)

    class Meta:
        verbose_name = "规则结果授权"
        verbose_name_plural = "规则结果授权"
        ordering = ["client", "rule"]
        constraints = [models.UniqueConstraint(fields=["client", "rule"], name="uniq_rule_grant")]

    def __str__(self) -> str:
        return f"{self.client} → {self.rule_id}"
