from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import Category, CodeTable, CodeValue, DataElement, DataItem, Domain, Subcategory


class DomainSerializer(serializers.ModelSerializer):
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = Domain
        fields = ["code", "name", "kind", "order", "categories"]


class CategorySerializer(serializers.ModelSerializer):
    domain = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subcategory_count = serializers.IntegerField(read_only=True, help_text="启用的子类数")

    class Meta:
        model = Category
        fields = ["code", "name", "domain", "order", "subcategory_count"]


class SubcategorySerializer(serializers.ModelSerializer):
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    domain = serializers.CharField(source="category.domain.code", read_only=True)
    kind = serializers.CharField(source="category.domain.kind", read_only=True, help_text="主体类型")
    item_count = serializers.IntegerField(read_only=True)
    key_items = serializers.ListField(child=serializers.CharField(), read_only=True, help_text="去重主键的数据元标识")
    cross_rules = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = Subcategory
        fields = [
            "code",
            "name",
            "category",
            "domain",
            "kind",
            "department",
            "update_cycle",
            "description",
            "key_items",
            "cross_rules",
            "is_active",
            "order",
            "item_count",
        ]


class ItemSerializer(serializers.ModelSerializer):
    key = serializers.CharField(source="element.key", read_only=True, help_text="数据元标识（JSON 字段名）")
    name = serializers.CharField(source="header", read_only=True, help_text="本子类中的表头名称")
    element_name = serializers.CharField(source="element.name", read_only=True)
    aliases = serializers.ListField(source="element.aliases", child=serializers.CharField(), read_only=True)
    type = serializers.CharField(source="element.type", read_only=True)
    sensitivity = serializers.CharField(source="element.sensitivity", read_only=True)
    code_table = serializers.CharField(source="element.code_table.code", read_only=True, allow_null=True, default=None)
    refers_to = serializers.CharField(source="element.refers_to", read_only=True)
    key_type = serializers.CharField(source="element.key_type", read_only=True)
    unit = serializers.CharField(source="element.unit", read_only=True)
    rules = serializers.SerializerMethodField(help_text="生效的校验规则（数据元规则叠加本子类覆盖）")

    class Meta:
        model = DataItem
        fields = [
            "order",
            "key",
            "name",
            "element_name",
            "aliases",
            "type",
            "required",
            "sensitivity",
            "code_table",
            "refers_to",
            "key_type",
            "unit",
            "rules",
            "help_text",
        ]

    @extend_schema_field(serializers.DictField())
    def get_rules(self, item: DataItem) -> dict:
        return item.effective_rules


class SubcategoryDetailSerializer(SubcategorySerializer):
    items = ItemSerializer(many=True, read_only=True)

    class Meta(SubcategorySerializer.Meta):
        fields = [*SubcategorySerializer.Meta.fields, "items"]


class ElementSerializer(serializers.ModelSerializer):
    code_table = serializers.SlugRelatedField(slug_field="code", read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    rules = serializers.DictField(read_only=True)
    refers_to = serializers.CharField(read_only=True, help_text="type=reference 时：被关联主体的类型（与 kind 同值域）")
    key_type = serializers.CharField(read_only=True, help_text="type=reference 时：被关联主体标识的数据类型")

    class Meta:
        model = DataElement
        fields = [
            "key",
            "name",
            "aliases",
            "type",
            "sensitivity",
            "description",
            "unit",
            "rules",
            "code_table",
            "refers_to",
            "key_type",
        ]


class CodeValueSerializer(serializers.ModelSerializer):
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = CodeValue
        fields = ["code", "label", "aliases", "parent_code", "order"]


class CodeTableSerializer(serializers.ModelSerializer):
    value_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = CodeTable
        fields = ["code", "name", "standard", "value_count"]


class CodeTableDetailSerializer(CodeTableSerializer):
    values = CodeValueSerializer(many=True, read_only=True)

    class Meta(CodeTableSerializer.Meta):
        fields = [*CodeTableSerializer.Meta.fields, "values"]


class CatalogSummarySerializer(serializers.Serializer):
    domains = serializers.IntegerField()
    categories = serializers.IntegerField()
    subcategories = serializers.IntegerField(help_text="启用的子类数")
    items = serializers.IntegerField(help_text="启用子类的数据项数")
    elements = serializers.IntegerField()
    code_tables = serializers.IntegerField()
    version = serializers.CharField(allow_null=True, help_text="当前目录版本号")
