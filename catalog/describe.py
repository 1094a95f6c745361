"""Chinese descriptions of items for people: type names, rules, allowed values and examples.

Used by the Excel templates (instructions sheet, header comments) and the catalog web pages, so both say the same.
"""

from .choices import ElementType
from .spec import CrossRuleSpec, ItemSpec

TYPE_LABELS = dict(ElementType.choices)
# Examples with valid check digits (GB 11643, GB 32100) so a copied example passes verification.
EXAMPLES = {
    ElementType.ID_CARD: "370602199001011239",
    ElementType.USCC: "91370602MA3C123450",
    ElementType.PHONE: "13912345678",
    ElementType.DATE: "1990-01-31",
    ElementType.BOOLEAN: "是",
    ElementType.REGION: "370602002",
}
# Columns typed as text in Excel so it cannot turn an ID or a code into a number (or drop leading zeros).
TEXT_TYPES = {
    ElementType.TEXT,
    ElementType.CODE,
    ElementType.ID_CARD,
    ElementType.USCC,
    ElementType.PHONE,
    ElementType.REGION,
    ElementType.REFERENCE,
}
MAX_LISTED_VALUES = 20


def type_label(item: ItemSpec) -> str:
    """The item's type in Chinese; a reference says what it refers to and how it is written."""
    if item.type == ElementType.REFERENCE and item.key_type:
        return f"关联（{TYPE_LABELS.get(item.key_type, item.key_type)}）"
    return TYPE_LABELS.get(item.type, item.type)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def describe_rules(item: ItemSpec) -> list[str]:
    """The item's format and range rules in Chinese, e.g. ["18位公民身份号码", "1 至 200"]."""
    kind = item.key_type if item.type == ElementType.REFERENCE and item.key_type else item.type
    parts = {
        ElementType.ID_CARD: ["18位公民身份号码（GB 11643），末位可为X"],
        ElementType.USCC: ["18位统一社会信用代码（GB 32100）"],
        ElementType.PHONE: ["11位手机号码或带区号的固定电话"],
        ElementType.DATE: ["日期，格式 yyyy-mm-dd"],
        ElementType.BOOLEAN: ["填“是”或“否”"],
        ElementType.REGION: ["行政区划代码"],
        ElementType.INTEGER: ["整数"],
        ElementType.DECIMAL: ["数字，可带小数"],
    }.get(kind, [])
    parts = list(parts)
    if item.min_length and item.max_length:
        parts.append(f"长度 {item.min_length}–{item.max_length} 字")
    elif item.max_length:
        parts.append(f"不超过 {item.max_length} 字")
    elif item.min_length:
        parts.append(f"至少 {item.min_length} 字")
    if item.pattern:
        parts.append(item.pattern_hint or f"格式须符合 {item.pattern}")
    parts.extend(_range(item))
    if item.not_future:
        parts.append("不能晚于今天")
    if item.min_date:
        parts.append(f"不早于 {item.min_date}")
    if item.unit:
        parts.append(f"单位：{item.unit}")
    return parts


def _range(item: ItemSpec) -> list[str]:
    low, high = _number(item.min_value), _number(item.max_value)
    if low and high:
        return [f"大于 {low} 且不大于 {high}" if item.min_exclusive else f"{low} 至 {high}"]
    if low:
        return [f"大于 {low}" if item.min_exclusive else f"不小于 {low}"]
    if high:
        return [f"不大于 {high}"]
    return []


def describe_values(item: ItemSpec) -> str:
    """Allowed values of a code or boolean item, listed when short, else named with their count and standard."""
    if item.type == ElementType.BOOLEAN:
        return "是、否"
    table = item.code_table
    if table is None:
        return ""
    source = f"（{table.standard}）" if table.standard else ""
    if len(table.labels) <= MAX_LISTED_VALUES:
        return "、".join(table.labels.values()) + source
    return f"{table.name}，共 {len(table.labels)} 项，见下拉列表{source}"


def example_for(item: ItemSpec) -> str:
    """A value that passes the item's checks, shown in the instructions sheet."""
    kind = item.key_type if item.type == ElementType.REFERENCE and item.key_type else item.type
    if kind in EXAMPLES:
        return EXAMPLES[kind]
    if item.code_table and item.code_table.labels:
        return next(iter(item.code_table.labels.values()))
    if kind in (ElementType.INTEGER, ElementType.DECIMAL):
        low = item.min_value or 0
        value = low + 1 if item.min_exclusive or low == 0 else low
        return f"{value:g}" if kind == ElementType.INTEGER else f"{value + 0.5:g}"
    return ""


def describe_cross_rule(rule: CrossRuleSpec, names: dict[str, str]) -> str:
    """A cross-field rule in Chinese, naming the columns by their headers (`names`: element key -> header)."""
    if rule.message:
        return rule.message
    field = {k: names.get(v, v) for k, v in rule.fields.items()}
    if rule.rule == "id_birth_date":
        return f"{field['date']}须与{field['id']}中的出生日期一致"
    if rule.rule == "id_sex":
        return f"{field['sex']}须与{field['id']}中的性别一致"
    if rule.rule == "date_not_before":
        return f"{field['field']}不能早于{field['other']}"
    return f"{rule.rule}（{'、'.join(field.values())}）"
