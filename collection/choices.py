from django.db import models


class BatchStatus(models.TextChoices):
    """The life of a batch: verified, then fixed by the township or reviewed and merged by a data officer."""

    UPLOADED = "uploaded", "已上传"
    VERIFYING = "verifying", "核验中"
    NEEDS_FIX = "needs_fix", "待修正"
    PENDING_REVIEW = "pending_review", "待审核"
    MERGING = "merging", "入库中"
    MERGED = "merged", "已入库"
    RETURNED = "returned", "已退回"
    REJECTED = "rejected", "已拒收"  # the file as a whole
    FAILED = "failed", "处理失败"


class MergeState(models.TextChoices):
    """What became of one staged row when its batch was merged into the base database."""

    PENDING = "pending", "待入库"
    MERGED = "merged", "已入库"
    CONFLICT = "conflict", "冲突"
    SKIPPED = "skipped", "未入库"


class Severity(models.TextChoices):
    ERROR = "error", "错误"
    WARNING = "warning", "警告"


class IssueRule(models.TextChoices):
    """Rule codes of verification issues (the same strings as collection.pipeline.types)."""

    REQUIRED = "required", "必填"
    TYPE = "type", "类型"
    LENGTH = "length", "长度"
    PATTERN = "pattern", "格式"
    CODE = "code", "代码"
    CHECKSUM = "checksum", "校验位"
    PRECISION_LOST = "precision_lost", "精度丢失"
    RANGE = "range", "取值范围"
    CROSS_FIELD = "cross_field", "字段间关系"
    DUPLICATE_IN_FILE = "duplicate_in_file", "文件内重复"
    CONFLICT = "conflict", "跨乡镇冲突"
    UNKNOWN_COLUMN = "unknown_column", "未识别的列"
    MISSING_COLUMN = "missing_column", "缺少必填列"
    GRID_ELSEWHERE = "grid_elsewhere", "网格属其他乡镇"
    GRID_OUTSIDE = "grid_outside", "网格不在本村（社区）"
    REGION_UNRESOLVED = "region_unresolved", "无法确定所属乡镇"
    ADDRESS_ELSEWHERE = "address_elsewhere", "地址属其他乡镇"
    HOUSE_ELSEWHERE = "house_elsewhere", "房屋属其他乡镇"


# States in which a batch's staged rows may still be edited by the township.
EDITABLE_STATUSES = frozenset({BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW, BatchStatus.RETURNED})
# States in which verification has finished and the counts are final.
VERIFIED_STATUSES = frozenset(
    {BatchStatus.NEEDS_FIX, BatchStatus.PENDING_REVIEW, BatchStatus.MERGING, BatchStatus.MERGED, BatchStatus.RETURNED}
)
