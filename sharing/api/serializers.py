"""Request and response shapes of the sharing API (also what drf-spectacular publishes in the OpenAPI schema)."""

from rest_framework import serializers

from ..reads import MAX_MATCH_KEYS

MAX_KEY_LENGTH = 200


class EntityRefSerializer(serializers.Serializer):
    kind = serializers.CharField()
    key = serializers.CharField(allow_null=True, help_text="主体标识；超出接入方敏感级别时为脱敏形式或 null")
    id = serializers.CharField(help_text="主体编号（不透明），用于 GET /entities/{id}/")


class EntityLookupSerializer(serializers.Serializer):
    kind = serializers.CharField(max_length=20, help_text="主体类型，如 person")
    key = serializers.CharField(max_length=MAX_KEY_LENGTH, help_text="主体标识，如公民身份号码")


class RecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    entity = EntityRefSerializer()
    subcategory = serializers.CharField()
    region = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    values = serializers.DictField(help_text="数据项（按敏感级别脱敏或省略）")


class RecordPageSerializer(serializers.Serializer):
    results = RecordSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="下一页的 cursor（不透明字符串）；null 表示没有更多")


class EntityRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subcategory = serializers.CharField()
    region = serializers.CharField()
    version = serializers.IntegerField()
    updated_at = serializers.DateTimeField()
    values = serializers.DictField()


class EntityDetailSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="主体编号（不透明，32 位十六进制），用于 GET /entities/{id}/")
    kind = serializers.CharField()
    key = serializers.CharField(allow_null=True, help_text="按编号读取时按敏感级别脱敏或为 null")
    records = EntityRecordSerializer(many=True)


class KeyListField(serializers.ListField):
    """A list of up to 10,000 short strings, checked in one pass (a CharField per key costs ~40 µs each)."""

    def to_internal_value(self, data):
        if not isinstance(data, list) or not 1 <= len(data) <= MAX_MATCH_KEYS:
            raise serializers.ValidationError(f"应为 1–{MAX_MATCH_KEYS} 个标识的列表")
        if not all(isinstance(k, str) and len(k) <= MAX_KEY_LENGTH for k in data):
            raise serializers.ValidationError(f"每个标识应为不超过 {MAX_KEY_LENGTH} 个字符的字符串")
        return data


class MatchRequestSerializer(serializers.Serializer):
    keys = KeyListField(
        child=serializers.CharField(max_length=MAX_KEY_LENGTH, allow_blank=True, trim_whitespace=False),
        min_length=1,
        max_length=MAX_MATCH_KEYS,
        help_text="待比对的标识（如公民身份号码），最多 10000 个；比对前去除首尾空白并转大写",
    )
    subcategories = serializers.ListField(child=serializers.CharField(max_length=10), min_length=1, max_length=50)
    fields = serializers.ListField(child=serializers.CharField(max_length=100), required=False, default=list,
                                   max_length=100)  # fmt: skip


class MatchResultSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="请求中的原样标识")
    matched = serializers.ListField(child=serializers.CharField(), help_text="持有该标识的子类代码")
    records = serializers.DictField(required=False, help_text="子类代码 → 请求的数据项（脱敏）")


class MatchResponseSerializer(serializers.Serializer):
    results = MatchResultSerializer(many=True)
    matched_keys = serializers.IntegerField()


class ChangeSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="变更序号（单调递增），即游标")
    record = serializers.IntegerField()
    entity = EntityRefSerializer()
    subcategory = serializers.CharField()
    region = serializers.CharField()
    action = serializers.CharField(help_text="create / update / retire / restore / resolve")
    version = serializers.IntegerField()
    changes = serializers.DictField(help_text="数据项 → [旧值, 新值]（脱敏）")
    hidden_items = serializers.ListField(child=serializers.CharField(), help_text="有变化但无权查看的数据项")
    time = serializers.DateTimeField()


class ChangePageSerializer(serializers.Serializer):
    results = ChangeSerializer(many=True)
    next_cursor = serializers.IntegerField()
    has_more = serializers.BooleanField()


class CountSerializer(serializers.Serializer):
    region = serializers.CharField()
    subcategory = serializers.CharField()
    count = serializers.IntegerField()


class StatsSerializer(serializers.Serializer):
    counts = CountSerializer(many=True)
    by_subcategory = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class WebhookSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    url = serializers.URLField(max_length=500)
    enabled = serializers.BooleanField(read_only=True)
    cursor = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class WebhookCreatedSerializer(WebhookSerializer):
    secret = serializers.CharField(read_only=True, help_text="签名密钥（仅此一次显示）")


class DeliverySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    response_status = serializers.IntegerField(allow_null=True)
    first_version = serializers.IntegerField()
    last_version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(allow_null=True)


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    param = serializers.CharField(required=False)
