from django.db import models


class RecordStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    RETIRED = "retired", "已注销"


class VersionAction(models.TextChoices):
    """What a RecordVersion records; the sharing API's change feed reports these."""

    CREATE = "create", "新增"
    UPDATE = "update", "更新"
    RETIRE = "retire", "注销"
    RESTORE = "restore", "恢复"
    RESOLVE = "resolve", "冲突处理"


class ConflictStatus(models.TextChoices):
    OPEN = "open", "待处理"
    RESOLVED = "resolved", "已处理"


class Resolution(models.TextChoices):
    KEEP_EXISTING = "keep_existing", "保留原记录"
    TAKE_NEW = "take_new", "采用新数据"
    EDIT = "edit", "人工修改"


class MergeRunStatus(models.TextChoices):
    RUNNING = "running", "入库中"
    FINISHED = "finished", "已完成"
    FAILED = "failed", "失败"
    REVERTED = "reverted", "已撤销"


class RevealReason(models.TextChoices):
    """Why a user reveals a record's personal items (one click on the record page, written to the access log)."""

    VERIFY = "verify", "核实身份或联系本人"
    SERVICE = "service", "办理业务或提供服务"
    CORRECT = "correct", "核对并更正数据"
    DISPUTE = "dispute", "处理投诉、纠纷或举报"
    SUPERVISE = "supervise", "监督检查"
