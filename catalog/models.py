"""The data catalog: domains, categories, subcategories, data elements, items, code tables and catalog versions.

The catalog is data: it is loaded from fixtures/catalog/ by `manage.py load_catalog` (catalog/loader.py), and the
intake pipeline sees it only through catalog.spec.TableSpec (built by catalog/specs_build.py).
"""

from django.db import models

from .choices import ElementType, EntityKind, Sensitivity, UpdateCycle


class Domain(models.Model):
    """One of the six domains 人、房、企、地、物、情; each names the kind of entity its records describe."""

    code = models.CharField("代码", max_length=1, unique=True)
    name = models.CharField("名称", max_length=20)
    kind = models.CharField("主体类型", max_length=20, choices=EntityKind.choices)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "数据领域"
        verbose_name_plural = "数据领域"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Category(models.Model):
    """A category (大类), e.g. P01 常住人口."""

    code = models.CharField("代码", max_length=10, unique=True)
    name = models.CharField("名称", max_length=100)
    domain = models.ForeignKey(Domain, verbose_name="领域", on_delete=models.PROTECT, related_name="categories")
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "数据大类"
        verbose_name_plural = "数据大类"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class CodeTable(models.Model):
    """A code table (代码表), from a national standard or local where none exists."""

    code = models.CharField("代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=100)
    standard = models.CharField("依据标准", max_length=100, blank=True, default="")

    class Meta:
        verbose_name = "代码表"
        verbose_name_plural = "代码表"
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.standard or self.code}）"


class CodeValue(models.Model):
    """One value of a code table: its code, standard label and the colloquial forms accepted for it."""

    table = models.ForeignKey(CodeTable, verbose_name="代码表", on_delete=models.CASCADE, related_name="values")
    code = models.CharField("代码", max_length=40)
    label = models.CharField("名称", max_length=200)
    aliases = models.JSONField("别名", default=list, blank=True)
    parent_code = models.CharField("上级代码", max_length=40, blank=True, default="")
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "代码值"
        verbose_name_plural = "代码值"
        ordering = ["table", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["table", "code"], name="uniq_code_value")]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class DataElement(models.Model):
    """A data element (数据元), defined once and reused by many subcategories; `key` is its JSON/API field name."""

    key = models.CharField("标识", max_length=64, unique=True)
    name = models.CharField("中文名称", max_length=100)
    aliases = models.JSONField("别名", default=list, blank=True)
    type = models.CharField("数据类型", max_length=20, choices=ElementType.choices)
    sensitivity = models.CharField("敏感级别", max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL)
    description = models.TextField("说明", blank=True, default="")
    unit = models.CharField("计量单位", max_length=20, blank=True, default="")
    rules = models.JSONField("校验规则", default=dict, blank=True)
    code_table = models.ForeignKey(
        CodeTable, verbose_name="代码表", null=True, blank=True, on_delete=models.PROTECT, related_name="elements"
    )
    roles = models.JSONField("角色", default=list, blank=True)  # ElementRole values
    # The entity kind this element points at (a reference, or an ID number of another person): entity links.
    refers_to = models.CharField("关联主体类型", max_length=20, choices=EntityKind.choices, blank=True, default="")
    key_type = models.CharField("关联主体标识类型", max_length=20, choices=ElementType.choices, blank=True, default="")

    class Meta:
        verbose_name = "数据元"
        verbose_name_plural = "数据元"
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.name}（{self.key}）"


class Subcategory(models.Model):
    """A subcategory (子类), the table townships fill in; `key_items` are the element keys of its dedup key."""

    code = models.CharField("代码", max_length=10, unique=True)
    name = models.CharField("名称", max_length=100)
    category = models.ForeignKey(Category, verbose_name="大类", on_delete=models.PROTECT, related_name="subcategories")
    department = models.CharField("数源部门", max_length=100, blank=True, default="")
    update_cycle = models.CharField("更新周期", max_length=10, choices=UpdateCycle.choices, blank=True, default="")
    description = models.TextField("说明", blank=True, default="")
    key_items = models.JSONField("主键数据项", default=list, blank=True)
    cross_rules = models.JSONField("跨字段规则", default=list, blank=True)
    is_active = models.BooleanField("启用", default=True)
    order = models.PositiveIntegerField("排序", default=0)

    class Meta:
        verbose_name = "数据子类"
        verbose_name_plural = "数据子类"
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class DataItem(models.Model):
    """The use of a data element in a subcategory: column order, required flag, header label, rule overrides."""

    subcategory = models.ForeignKey(Subcategory, verbose_name="子类", on_delete=models.CASCADE, related_name="items")
    element = models.ForeignKey(DataElement, verbose_name="数据元", on_delete=models.PROTECT, related_name="items")
    order = models.PositiveIntegerField("排序", default=0)
    required = models.BooleanField("必填", default=False)
    label = models.CharField("表头名称", max_length=100, blank=True, default="")
    help_text = models.CharField("填写说明", max_length=500, blank=True, default="")
    rules = models.JSONField("规则覆盖", default=dict, blank=True)

    class Meta:
        verbose_name = "数据项"
        verbose_name_plural = "数据项"
        ordering = ["subcategory", "order"]
        constraints = [models.UniqueConstraint(fields=["subcategory", "element"], name="uniq_item_element")]

    def __str__(self) -> str:
        return f"{self.subcategory_id}·{self.header}"

    @property
    def header(self) -> str:
        """The Chinese column header: the item's label, else the element's name."""
        return self.label or self.element.name

    @property
    def effective_rules(self) -> dict:
        """The element's rules with this item's overrides applied."""
        return {**(self.element.rules or {}), **(self.rules or {})}


class CatalogVersion(models.Model):
    """A published version of the catalog; recorded by the loader whenever the source's content hash changes."""

    version = models.CharField("版本号", max_length=40)
    content_hash = models.CharField("内容摘要", max_length=64, db_index=True)
    loaded_at = models.DateTimeField("加载时间", auto_now_add=True)
    is_current = models.BooleanField("当前版本", default=False)
    summary = models.JSONField("统计", default=dict, blank=True)

    class Meta:
        verbose_name = "目录版本"
        verbose_name_plural = "目录版本"
        ordering = ["-loaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["is_current"], condition=models.Q(is_current=True), name="one_current")
        ]

    def __str__(self) -> str:
        return f"{self.version}（{self.content_hash[:8]}）"
