from django.db import models


class RegionLevel(models.TextChoices):
    CITY = "city", "市"
    COUNTY = "county", "县（市、区）"
    TOWNSHIP = "township", "乡镇（街道）"
    VILLAGE = "village", "村（社区）"
    GRID = "grid", "网格"


# A region's level is given by the length of its statistical code; a subtree is a code prefix.
LEVEL_CODE_LENGTH = {
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
    RegionLevel.GRID: 15,
}
CODE_LENGTH_LEVEL = {length: level for level, length in LEVEL_CODE_LENGTH.items()}


class Role(models.TextChoices):
    COLLECTOR = "collector", "采集员"
    OFFICER = "officer", "核验员"
    CATALOG_ADMIN = "catalog_admin", "目录管理员"
    PLATFORM_ADMIN = "platform_admin", "平台管理员"
    RULES_ADMIN = "rules_admin", "规则管理员"


class Action(models.TextChoices):
    """What a user wants to do with region-scoped objects; access.py maps actions to roles."""

    VIEW = "view", "查看"
    UPLOAD = "upload", "上报与修正"
    REVIEW = "review", "审核入库"
    MANAGE_CATALOG = "manage_catalog", "维护目录"
    ADMINISTER = "administer", "平台管理"
    MANAGE_RULES = "manage_rules", "维护匹配规则"
    HANDLE_ENTRIES = "handle_entries", "核实名单"


class DepartmentRole(models.TextChoices):
    """A user's role in a department (部门); it covers the department's region and its subcategories only."""

    UPLOADER = "dept_uploader", "部门用户"
    REVIEWER = "dept_reviewer", "部门审核员"
