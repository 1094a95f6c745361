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
    # Held at a village (村/社区) or grid: views and works on the records placed there, never uploads files.
    GRID_WORKER = "grid_worker", "网格员"


class Action(models.TextChoices):
    """What a user wants to do with region-scoped objects; access.py maps actions to roles."""

    VIEW = "view", "查看"
    UPLOAD = "upload", "上报与修正"
    REVIEW = "review", "审核入库"
    MANAGE_CATALOG = "manage_catalog", "维护目录"
    ADMINISTER = "administer", "平台管理"
    MANAGE_RULES = "manage_rules", "维护匹配规则"
    HANDLE_ENTRIES = "handle_entries", "核实名单"
    AUDIT = "audit", "查看操作记录"
    CORRECT = "correct", "现场更正"


class DepartmentRole(models.TextChoices):
    """A user's role in a department (部门); it covers the department's region and its subcategories only."""

    UPLOADER = "dept_uploader", "部门用户"
    REVIEWER = "dept_reviewer", "部门审核员"


class ActorKind(models.TextChoices):
    """Who did something written to the audit trail (regions.audit)."""

    USER = "user", "用户"
    CLIENT = "client", "接入方"
    CLI = "cli", "命令行"
    SYSTEM = "system", "后台任务"


class AuditVerb(models.TextChoices):
    """What was done: one verb per state-changing action of the platform (regions.audit.record_event)."""

    UPLOAD = "upload", "上报文件"
    FIX_CELL = "fix_cell", "修正单元格"
    EXCLUDE_ROW = "exclude_row", "排除数据行"
    INCLUDE_ROW = "include_row", "恢复数据行"
    RESUBMIT = "resubmit", "重新提交"
    APPROVE = "approve", "审核通过"
    RETURN = "return", "退回"
    MERGE = "merge", "入库"
    REVERT = "revert", "撤销入库"
    RESOLVE_CONFLICT = "resolve_conflict", "处理冲突"
    PLACE = "place", "落位"
    CHANGE_CATALOG = "change_catalog", "修改目录"
    CHANGE_RULE = "change_rule", "修改匹配规则"
    GRANT_RULE = "grant_rule", "授权规则名单"
    REVOKE_RULE = "revoke_rule", "撤销规则名单授权"
    WORK_ENTRY = "work_entry", "名单核实"
    EVALUATE_RULE = "evaluate_rule", "更新规则名单"
    CHANGE_REPORT_FORM = "change_report_form", "修改统计报表"
    CONFIRM_REPORT = "confirm_report", "确认上报报表"
    GRANT_ROLE = "grant_role", "授予角色"
    REVOKE_ROLE = "revoke_role", "撤销角色"
    CHANGE_DEPARTMENT = "change_department", "修改部门设置"
    CREATE_CLIENT = "create_client", "创建接入方"
    CHANGE_CLIENT = "change_client", "修改接入方"
    ROTATE_CLIENT_TOKEN = "rotate_client_token", "更换接入方令牌"
    REVOKE_CLIENT = "revoke_client", "吊销接入方"
    REGISTER_WEBHOOK = "register_webhook", "登记回调地址"
    DELETE_WEBHOOK = "delete_webhook", "删除回调地址"
    ISSUE_TOKEN = "issue_token", "签发用户令牌"
    REVOKE_TOKEN = "revoke_token", "吊销用户令牌"
    REVEAL = "reveal", "查看个人信息明文"
