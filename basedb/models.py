"""The base database (基层基础数据库): entities, their records per subcategory, full history and conflicts.

One person, house, enterprise, parcel, object or event is one `Entity` (unique by kind and canonical key); it has one
`Record` per subcategory that holds it (unique by entity and subcategory), with values as JSON keyed by element key.
Every change to a record is a `RecordVersion` written explicitly by merge.py, conflicts.py and revert.py; its id is
the monotonically increasing cursor of the sharing API's change feed.
"""

from django.conf import settings
from django.db import models
from django.db.models import Func

from regions.access import RegionScopedQuerySet

from .choices import ConflictStatus, MergeRunStatus, RecordStatus, Resolution, VersionAction


class RandomToken(Func):
    """32 random hex digits computed by the database: the default of Entity.public_id, so the bulk merge's raw
    INSERT (and any other writer) gets a token without naming the column."""

    output_field = models.CharField()

    def as_sql(self, compiler, connection, **extra):  # PostgreSQL 13+: gen_random_uuid() is in core
        return "replace(gen_random_uuid()::text, '-', '')", []

    def as_sqlite(self, compiler, connection, **extra):
        return "lower(hex(randomblob(16)))", []


class Entity(models.Model):
    """A person, house, enterprise, parcel, object or event, once: (kind, key) is unique in the database.

    Pages and API addresses name an entity by `public_id`, a random token: a key (an ID number) never appears in a
    URL, a Location header or an access log, and the token cannot be guessed or enumerated."""

    REGION_FIELD = "region"

    kind = models.CharField("主体类型", max_length=20)
    key = models.CharField("主体标识", max_length=200)  # canonical dedup key, e.g. the normalised 公民身份号码
    # References to reference data (regions, subcategories) carry no database constraint in the bulk-written tables:
    # PostgreSQL would run a deferred check per inserted row at commit; Django still enforces PROTECT on delete.
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="首报乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="entities",
        db_constraint=False,
    )
    display_name = models.CharField("名称", max_length=200, blank=True, default="")
    public_id = models.CharField("公开编号", max_length=32, unique=True, editable=False, db_default=RandomToken())
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "主体"
        verbose_name_plural = "主体"
        ordering = ["kind", "key"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="uniq_entity_kind_key")]

    def __str__(self) -> str:
        return f"{self.display_name or self.key}（{self.kind}）"

    @property
    def shown_key(self) -> str:
        """The key as pages show it: a person's ID number masked for every role (labels.shown_key)."""
        from .labels import shown_key

        return shown_key(self.kind, self.key)


class Record(models.Model):
    """What one subcategory holds about one entity: values keyed by element key, owned by one township and placed at
    the lowest region known inside it (`place`: a grid, a village or the township itself; basedb/placement.py).

    Access is decided by the place: a township's prefix covers every place inside it, and a village or grid user sees
    exactly the records placed in its subtree. `place_manual`: placed by hand (the unplaced-records page); it holds
    until the record's placement items (grid, addresses) change, then the record is placed from its items again.
    """

    REGION_FIELD = "place"
    SUBCATEGORY_FIELD = "subcategory__code"

    # Few indexes on purpose: each one slows the bulk merge; the composite ones below cover these columns.
    # No database constraint towards reference data (see Entity.region).
    # No database constraint either towards the entity: the referential check PostgreSQL runs per inserted row
    # (and the row lock it takes on the entity) cost about a quarter of a bulk merge. The merge only writes entity
    # ids it has just read or inserted in the same transaction, entities are never deleted (PROTECT), and
    # tests/basedb/test_integrity.py checks that no record or version is left without its parent.
    entity = models.ForeignKey(
        Entity,
        verbose_name="主体",
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    subcategory = models.ForeignKey(
        "catalog.Subcategory",
        verbose_name="数据子类",
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    # Derived from the values and the region tree (never typed in twice); no constraint, as for `region`.
    place = models.ForeignKey(
        "regions.Region",
        verbose_name="落位",
        on_delete=models.PROTECT,
        related_name="placed_records",
        db_index=False,
        db_constraint=False,
    )
    place_manual = models.BooleanField("人工落位", default=False, db_default=False)  # raw inserts leave it out
    values = models.JSONField("数据", default=dict)
    status = models.CharField("状态", max_length=10, choices=RecordStatus.choices, default=RecordStatus.ACTIVE)
    version = models.PositiveIntegerField("版本", default=1)
    last_batch = models.ForeignKey(
        "collection.Batch",
        verbose_name="最近批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "记录"
        verbose_name_plural = "记录"
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["entity", "subcategory"], name="uniq_record_entity_subcat")]
        indexes = [
            # A subcategory's records in a region subtree by place (reports, rules, scoping below a township).
            models.Index(fields=["subcategory", "place", "id"], name="record_subcat_place_id"),
            # Sharing API /records/: a page of one subcategory in (township, id) order after its keyset cursor, read
            # in index order (about a page of entries) instead of sorting the whole region's records per page.
            models.Index(fields=["subcategory", "region", "id"], name="record_subcat_region_id"),
            # A village's or grid's records (pages of grid workers, drill-down counts): a range on place.
            models.Index(fields=["place", "subcategory"], name="record_place_subcat"),
            # Sharing API: updated_since filters, keyset by id.
            models.Index(fields=["updated_at", "id"], name="record_updated_id"),
        ]

    def __str__(self) -> str:
        return f"{self.subcategory_id}·{self.entity_id}"

    def save(self, *args, **kwargs):
        # A record created without a place is placed in its township (the merge and placement.py place set-wise).
        if not self.place_id or not self.place_id.startswith(self.region_id or ""):
            self.place_id = self.region_id
        super().save(*args, **kwargs)


class RecordLink(models.Model):
    """An item of a record naming another entity (a house's owner by ID number, a household's house by its code):
    the kind and key it names. Written with the record's values by the merge, conflict resolution and revert
    (basedb/summaries.py), so the entity page finds the records naming an entity through the (kind, key) index
    instead of reading every record's values. Only string values of the items the catalog declares pointing
    (`refers_to`, not the record's own key) are kept, as the page compares them."""

    # No database constraint, as for Record.entity: written in bulk beside the records; Django cascades on delete.
    record = models.ForeignKey(
        Record, verbose_name="记录", on_delete=models.CASCADE, related_name="links", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    item = models.CharField("数据项", max_length=64)
    kind = models.CharField("关联主体类型", max_length=20)
    key = models.CharField("关联主体标识", max_length=200)

    class Meta:
        verbose_name = "记录关联"
        verbose_name_plural = "记录关联"
        indexes = [
            # The entity page: the records naming (kind, key).
            models.Index(fields=["kind", "key"], name="recordlink_kind_key"),
            # Rewriting the links of the records a merge, a resolution or a revert changed.
            models.Index(fields=["record"], name="recordlink_record"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}.{self.item} → {self.kind}:{self.key}"


class RecordCount(models.Model):
    """Active records of one subcategory placed at one place of one township, kept as signed deltas: every writer
    that creates, retires or moves records adds a row (basedb/summaries.py), readers sum, and `compact_counts` folds
    a subtree's rows into one per group. The board and the drill-down read these few thousand rows instead of
    counting millions of records (issue 16)."""

    REGION_FIELD = "place"
    SUBCATEGORY_FIELD = "subcategory__code"

    # No database constraint towards reference data (see Entity.region).
    region = models.ForeignKey(
        "regions.Region", verbose_name="乡镇（街道）", on_delete=models.PROTECT, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    place = models.ForeignKey(
        "regions.Region", verbose_name="落位", on_delete=models.PROTECT, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    subcategory = models.ForeignKey(
        "catalog.Subcategory", verbose_name="数据子类", on_delete=models.PROTECT, related_name="+", db_index=False,
        db_constraint=False,
    )  # fmt: skip
    records = models.IntegerField("记录数变化")

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "记录计数"
        verbose_name_plural = "记录计数"
        indexes = [models.Index(fields=["place", "subcategory"], name="recordcount_place_subcat")]

    def __str__(self) -> str:
        return f"{self.place_id}·{self.subcategory_id}: {self.records:+d}"


class RecordVersion(models.Model):
    """One change of a record, by which batch or user.

    `changes` holds {item: [old, new]} for the items that changed, except for a create, which holds the record's
    values as first merged ({item: value}, empty items included): a create has no old side, and copying the values
    document is what keeps the bulk merge fast. Read both forms through `pairs()` (basedb.history.change_pairs).

    The id is global and monotonically increasing: the sharing API's change feed pages by it. subcategory and region
    are copied from the record at the time of the change so the feed can be scoped without a join.
    """

    REGION_FIELD = "region"
    SUBCATEGORY_FIELD = "subcategory__code"

    # No database constraint (see Record.entity); Django still cascades on delete.
    record = models.ForeignKey(
        Record,
        verbose_name="记录",
        on_delete=models.CASCADE,
        related_name="versions",
        db_index=False,
        db_constraint=False,
    )
    version = models.PositiveIntegerField("版本")
    action = models.CharField("操作", max_length=10, choices=VersionAction.choices)
    changes = models.JSONField("变更", default=dict)
    # Provenance copies, written in bulk by the merge: no database FK constraint (Django still applies on_delete), so
    # PostgreSQL does not run a deferred referential check per version row at commit.
    subcategory = models.ForeignKey(
        "catalog.Subcategory",
        verbose_name="数据子类",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    region = models.ForeignKey(
        "regions.Region",
        verbose_name="乡镇（街道）",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    batch = models.ForeignKey(
        "collection.Batch",
        verbose_name="批次",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    note = models.CharField("说明", max_length=500, blank=True, default="")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "记录版本"
        verbose_name_plural = "记录版本"
        ordering = ["id"]
        indexes = [
            models.Index(fields=["record", "version"], name="version_record_version"),
            models.Index(fields=["batch", "action"], name="version_batch_action"),
            models.Index(fields=["subcategory", "id"], name="version_subcat_id"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id} v{self.version} {self.action}"

    def pairs(self) -> dict[str, list]:
        """The version's changes as {item: [old, new]} whatever the action (see the class docstring)."""
        from .history import change_pairs

        return change_pairs(self.action, self.changes)


class Conflict(models.Model):
    """A key already held in a subcategory by another township's record, reported again by a batch.

    It waits for a data officer whose region covers both townships (conflicts.resolve_conflict).
    Scoped by the incoming township (the review queue of the batch that raised it).
    """

    REGION_FIELD = "incoming_region"
    SUBCATEGORY_FIELD = "subcategory__code"

    subcategory = models.ForeignKey(
        "catalog.Subcategory", verbose_name="数据子类", on_delete=models.PROTECT, related_name="+"
    )
    entity = models.ForeignKey(Entity, verbose_name="主体", on_delete=models.PROTECT, related_name="conflicts")
    record = models.ForeignKey(Record, verbose_name="已有记录", on_delete=models.CASCADE, related_name="conflicts")
    batch = models.ForeignKey(
        "collection.Batch", verbose_name="批次", on_delete=models.CASCADE, related_name="basedb_conflicts"
    )
    staged_row = models.ForeignKey(
        "collection.StagedRow",
        verbose_name="数据行",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    incoming_values = models.JSONField("新数据", default=dict)
    # Read by region with the status (the indexes in Meta lead with the region): no index of their own.
    existing_region = models.ForeignKey(
        "regions.Region", verbose_name="已有记录所属乡镇", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    incoming_region = models.ForeignKey(
        "regions.Region", verbose_name="上报乡镇", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    status = models.CharField(
        "状态", max_length=10, choices=ConflictStatus.choices, default=ConflictStatus.OPEN, db_index=True
    )
    resolution = models.CharField("处理结果", max_length=20, choices=Resolution.choices, blank=True, default="")
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField("处理时间", null=True, blank=True)
    note = models.TextField("说明", blank=True, default="")
    # Kept at resolution, so the resolved list still shows the difference and what was decided item by item: the
    # existing record's values before the decision, and the items the decision changed ({item: [old, new]}).
    existing_values = models.JSONField("处理前的已有数据", null=True, blank=True)
    applied_changes = models.JSONField("处理结果变更", default=dict, blank=True)
    created_at = models.DateTimeField("发现时间", auto_now_add=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "跨乡镇冲突"
        verbose_name_plural = "跨乡镇冲突"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["incoming_region", "status"], name="conflict_incoming_status"),
            models.Index(fields=["existing_region", "status"], name="conflict_existing_status"),
        ]

    def __str__(self) -> str:
        return f"冲突 {self.pk}：{self.entity.key}"


class MergeRun(models.Model):
    """The merge of one batch: its checkpoint (last staged row id merged), counts and state, so a killed merge
    resumes where it stopped and finishes exactly once."""

    REGION_FIELD = "batch__owner"
    SUBCATEGORY_FIELD = "batch__subcategory__code"

    batch = models.OneToOneField(
        "collection.Batch", verbose_name="批次", on_delete=models.CASCADE, related_name="merge_run"
    )
    status = models.CharField("状态", max_length=10, choices=MergeRunStatus.choices, default=MergeRunStatus.RUNNING)
    last_row = models.BigIntegerField("已入库至数据行", default=0)  # StagedRow.id checkpoint
    created = models.PositiveIntegerField("新增", default=0)
    updated = models.PositiveIntegerField("更新", default=0)
    unchanged = models.PositiveIntegerField("未变", default=0)
    conflicts = models.PositiveIntegerField("冲突", default=0)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField("错误", blank=True, default="")
    started_at = models.DateTimeField("开始时间", auto_now_add=True)
    finished_at = models.DateTimeField("完成时间", null=True, blank=True)
    seconds = models.FloatField("耗时（秒）", null=True, blank=True)

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "入库任务"
        verbose_name_plural = "入库任务"
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"批次 {self.batch_id} 入库（{self.get_status_display()}）"
