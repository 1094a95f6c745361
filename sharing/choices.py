from django.db import models


class Sensitivity(models.TextChoices):
    """The highest item sensitivity a client may read in clear (catalog.spec.SENSITIVITY_ORDER)."""

    PUBLIC = "public", "公开"
    INTERNAL = "internal", "内部"
    SENSITIVE = "sensitive", "敏感"
    PERSONAL = "personal", "个人信息"


class ClientAction(models.TextChoices):
    """What a ClientAuditEvent records."""

    CREATE = "create", "创建"
    ROTATE = "rotate", "更换令牌"
    REVOKE = "revoke", "吊销"
    FLAG = "flag", "标记异常"
    UNFLAG = "unflag", "解除异常标记"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "待发送"
    DELIVERED = "delivered", "已送达"
    FAILED = "failed", "失败"


# What the access log's 接口 column says for its web rows (API rows name their endpoint).
WEB_ENDPOINT_LABELS = {
    "reveal": "网页：查看明文",
    "batch_report": "下载：本乡镇批次批注版 / 有误的行（明文）",
    "patch": "下载：核对表（明文）",
}
