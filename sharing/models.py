"""The sharing API's own data: downstream clients, their audit trail, the personal-data access log, rate-limit
counters and webhooks. Records themselves live in basedb; this app only reads them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from regions.access import RegionScopedQuerySet

from .choices import WEB_ENDPOINT_LABELS, ClientAction, DeliveryStatus, Sensitivity


class ApiClient(models.Model):
    """A department's downstream app: what it may read (subcategories, region subtree, sensitivity) and its token.

    Only the token's lookup prefix and SHA-256 are stored; the token itself is shown once (clients.create_client).
    """

    REGION_FIELD = "region"

    name = models.CharField("名称", max_length=100, unique=True)
    department = models.CharField("所属部门", max_length=100, blank=True, default="")
    contact = models.CharField("联系人", max_length=200, blank=True, default="")
    token_prefix = models.CharField("令牌前缀", max_length=16, unique=True)
    token_hash = models.CharField("令牌摘要", max_length=64, unique=True)
    subcategories = models.ManyToManyField("catalog.Subcategory", verbose_name="可读子类", related_name="+")
    region = models.ForeignKey("regions.Region", verbose_name="可读区域", on_delete=models.PROTECT, related_name="+")
    max_sensitivity = models.CharField(
        "最高可读敏感级别", max_length=10, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    rate_limit = models.PositiveIntegerField("每分钟请求上限", default=600)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    enabled = models.BooleanField("启用", default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="创建人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    # Set by sharing.lookups when a request looks like enumeration of ID numbers; cleared by an administrator.
    flagged_at = models.DateTimeField("异常标记时间", null=True, blank=True)
    flag_reason = models.CharField("异常标记原因", max_length=300, blank=True, default="")

    objects = RegionScopedQuerySet.as_manager()

    class Meta:
        verbose_name = "接入方"
        verbose_name_plural = "接入方"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        """Enabled, not revoked and not expired: only a live client's token authenticates."""
        expired = self.expires_at is not None and self.expires_at <= timezone.now()
        return self.enabled and self.revoked_at is None and not expired

    @property
    def status_label(self) -> str:
        if self.revoked_at:
            return "已吊销"
        if not self.enabled:
            return "已停用"
        if self.expires_at and self.expires_at <= timezone.now():
            return "已过期"
        return "有效"


class ClientAuditEvent(models.Model):
    """Who created, rotated or revoked a client's token, and when (written by sharing/clients.py)."""

    client = models.ForeignKey(ApiClient, verbose_name="接入方", on_delete=models.CASCADE, related_name="audit")
    action = models.CharField("操作", max_length=10, choices=ClientAction.choices)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="操作人", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    token_prefix = models.CharField("令牌前缀", max_length=16, blank=True, default="")
    note = models.CharField("说明", max_length=500, blank=True, default="")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "接入方操作记录"
        verbose_name_plural = "接入方操作记录"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.client_id} {self.action}"


class AccessLog(models.Model):
    """One read of personal data (PIPL access log): an API client's read or lookup, or a web user's reveal or
    download of clear values; which endpoint or page, parameters, how many records, and the reason given.

    `region` is the client's region (API) or the region of the record shown (web): administrators see the rows of
    their region."""

    REGION_FIELD = "region"

    client = models.ForeignKey(
        ApiClient, verbose_name="接入方", null=True, blank=True, on_delete=models.PROTECT, related_name="access_log"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="用户", null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    region = models.ForeignKey(
        "regions.Region", verbose_name="区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    endpoint = models.CharField("接口", max_length=50)
    method = models.CharField("方法", max_length=10)
    params = models.JSONField("参数", default=dict)
    records = models.PositiveIntegerField("返回记录数", default=0)
    status = models.PositiveSmallIntegerField("状态码")
    reason = models.CharField("事由", max_length=100, blank=True, default="")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "个人信息访问日志"
        verbose_name_plural = "个人信息访问日志"
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["client", "created_at"], name="accesslog_client_time"),
            models.Index(fields=["created_at"], name="accesslog_time"),
            models.Index(fields=["user", "created_at"], name="accesslog_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id or self.user_id} {self.endpoint} {self.created_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.region_id is None and self.client_id is not None:
            self.region_id = self.client.region_id
        super().save(*args, **kwargs)

    @property
    def endpoint_label(self) -> str:
        """The 接口 column: an API row's method and endpoint, a web row's action in Chinese."""
        if self.endpoint in WEB_ENDPOINT_LABELS and self.client_id is None:
            return WEB_ENDPOINT_LABELS[self.endpoint]
        return f"{self.method} {self.endpoint}"


class AccessLogKey(models.Model):
    """One person (or organisation) an access log row looked up or showed, as a keyed hash of its key.

    HMAC-SHA256 under settings.ACCESS_LOG_HMAC_KEY (sharing.lookups.hash_key): "who looked this person up" is a
    search by the hash of the typed ID number, and the log holds no ID number an attacker could read back."""

    # No database constraint: PostgreSQL would check 10,000 deferred foreign keys at the commit of one /match
    # (≈ 150 ms measured); the rows are only ever written by sharing.lookups.log_keys right after their log row.
    log = models.ForeignKey(
        AccessLog, verbose_name="访问日志", on_delete=models.CASCADE, related_name="keys", db_constraint=False
    )
    key_hash = models.CharField("标识摘要", max_length=64, db_index=True)
    # True: found in scope; False: not found; None: not looked up (the request was refused first).
    matched = models.BooleanField("命中", null=True)

    class Meta:
        verbose_name = "访问日志标识"
        verbose_name_plural = "访问日志标识"

    def __str__(self) -> str:
        return f"{self.log_id} {self.key_hash[:12]}"


class KeyQuotaCounter(models.Model):
    """Keys a client looked up on one day (and how many missed): the daily quota and enumeration checks."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    keys = models.PositiveIntegerField(default=0)
    misses = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "day"], name="uniq_keyquota_client_day")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.day}: {self.keys}"


class RateCounter(models.Model):
    """Requests of one client in one minute; a database row so the limit holds across gunicorn workers."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="+")
    window = models.DateTimeField()  # the minute, truncated
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "window"], name="uniq_ratecounter_client_window")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.window}: {self.count}"


class Webhook(models.Model):
    """A URL a client wants notified when records of its subcategories and regions change.

    `cursor` is the last RecordVersion id already turned into a delivery, so every change is notified once.
    """

    client = models.ForeignKey(ApiClient, verbose_name="接入方", on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField("地址", max_length=500)
    secret = models.CharField("签名密钥", max_length=100)  # kept in clear: it signs every payload (HMAC)
    cursor = models.BigIntegerField("已通知至版本", default=0)
    enabled = models.BooleanField("启用", default=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "回调地址"
        verbose_name_plural = "回调地址"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(models.Model):
    """One signed notification (a batch of changes) and its delivery attempts."""

    webhook = models.ForeignKey(Webhook, verbose_name="回调地址", on_delete=models.CASCADE, related_name="deliveries")
    payload = models.JSONField("内容")
    first_version = models.BigIntegerField("起始版本")
    last_version = models.BigIntegerField("截止版本")
    status = models.CharField("状态", max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    last_error = models.TextField("最近错误", blank=True, default="")
    response_status = models.PositiveSmallIntegerField("响应状态码", null=True, blank=True)
    next_attempt_at = models.DateTimeField("下次尝试", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    delivered_at = models.DateTimeField("送达时间", null=True, blank=True)

    class Meta:
        verbose_name = "回调投递"
        verbose_name_plural = "回调投递"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"投递 {self.pk}（{self.get_status_display()}）"
