from django.db import models

from .spec import (
    ADDRESS_ROLE,
    GRID_ROLE,
    HOUSE_CODE_ROLE,
    LOCATION_ROLE,
    NAME_ROLE,
    PERSON_NAME_ROLE,
    SENSITIVITY_ORDER,
)


class EntityKind(models.TextChoices):
    """The kind of entity the records of a domain describe."""

    PERSON = "person", "人"
    HOUSE = "house", "房"
    ENTERPRISE = "enterprise", "企"
    LAND = "land", "地"
    OBJECT = "object", "物"
    EVENT = "event", "情"


class ElementType(models.TextChoices):
    """The value type of a data element; the verifier checks each type its own way (see catalog/spec.py)."""

    TEXT = "text", "文本"
    INTEGER = "integer", "整数"
    DECIMAL = "decimal", "小数"
    DATE = "date", "日期"
    BOOLEAN = "boolean", "是/否"
    CODE = "code", "代码"
    ID_CARD = "id_card", "公民身份号码"
    USCC = "uscc", "统一社会信用代码"
    PHONE = "phone", "电话号码"
    REGION = "region", "行政区划"
    REFERENCE = "reference", "关联主体"


class ElementRole(models.TextChoices):
    """What a data element means to the platform beyond its type, declared in elements.yaml (`roles:`), so that no code
    names element keys: a new subcategory built from elements with roles needs no code change."""

    NAME = NAME_ROLE, "名称"  # names its entity (person, enterprise, village, party): display name, probable duplicates
    ADDRESS = ADDRESS_ROLE, "地址"  # an address: display name when there is no name, probable duplicates
    GRID = GRID_ROLE, "网格"  # names the grid the entity is in (code or name): places the record in a grid
    LOCATION = LOCATION_ROLE, "所在地址"  # where the entity is (current address, a house's address): its village
    PERSON_NAME = PERSON_NAME_ROLE, "人名"  # a person's name: masked as 张** (enough to confirm a match by hand)
    HOUSE_CODE = HOUSE_CODE_ROLE, "房屋编码"  # a house's code: its leading division code names the house's township


class Sensitivity(models.TextChoices):
    """Sensitivity of a data element, ordered public < internal < sensitive < personal; the sharing API masks by it."""

    PUBLIC = "public", "公开"
    INTERNAL = "internal", "内部"
    SENSITIVE = "sensitive", "敏感"
    PERSONAL = "personal", "个人敏感"

    @classmethod
    def rank(cls, value: str) -> int:
        """Position in the order public (0) < internal < sensitive < personal (3); ValueError when unknown."""
        return SENSITIVITY_ORDER.index(str(value))

    @classmethod
    def at_most(cls, value: str, ceiling: str) -> bool:
        """True when `value` is no more sensitive than `ceiling` (e.g. internal ≤ sensitive)."""
        return cls.rank(value) <= cls.rank(ceiling)

    @classmethod
    def up_to(cls, ceiling: str) -> list[str]:
        """Every sensitivity no more sensitive than `ceiling`, least sensitive first."""
        return list(SENSITIVITY_ORDER[: cls.rank(ceiling) + 1])


class UpdateCycle(models.TextChoices):
    """How often the owning department refreshes a subcategory."""

    REALTIME = "实时", "实时"
    DAILY = "日", "日"
    WEEKLY = "周", "周"
    MONTHLY = "月", "月"
    QUARTERLY = "季", "季"
    HALF_YEARLY = "半年", "半年"
    YEARLY = "年", "年"
