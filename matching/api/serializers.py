"""Response shapes of the rules API (what drf-spectacular publishes in the OpenAPI schema)."""

from rest_framework import serializers

from sharing.api.serializers import EntityRefSerializer


class RuleSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="规则代码，如 medical_insurance_gap")
    name = serializers.CharField()
    department = serializers.CharField(help_text="所属部门")
    basis = serializers.CharField(help_text="政策依据（文件名与条款）")
    description = serializers.CharField()
    subject = serializers.CharField(help_text="主体子类代码")
    version = serializers.IntegerField(help_text="当前版本")
    active = serializers.BooleanField()
    show = serializers.ListField(child=serializers.CharField(), help_text="结果中展示的数据项")


class RuleResultSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="名单条目编号（多次比对不变）")
    entity = EntityRefSerializer()
    region = serializers.CharField(help_text="乡镇（街道）代码")
    status = serializers.CharField(help_text="pending 待核实、confirmed 属实、refuted 不属实、done 已办理")
    fact = serializers.CharField(allow_null=True, help_text="不属实的原因代码")
    reasons = serializers.ListField(child=serializers.CharField(), help_text="符合的条件（中文，个人信息脱敏）")
    values = serializers.DictField(help_text="规则 show 中的数据项（按敏感级别脱敏或省略）")
    rule_version = serializers.IntegerField(help_text="比对所用规则版本")
    opened_at = serializers.DateTimeField()
    evaluated_at = serializers.DateTimeField()
    handled_at = serializers.DateTimeField(allow_null=True)


class RuleResultPageSerializer(serializers.Serializer):
    rule = serializers.CharField()
    results = RuleResultSerializer(many=True)
    next_cursor = serializers.IntegerField(allow_null=True, help_text="下一页的 cursor；null 表示没有更多")
