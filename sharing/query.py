"""The sharing API's filter syntax on item values, parsed once and turned into database lookups.

Syntax (documented in docs/api.md): `v.<item>=<value>` equality; `v.<item>__in=a,b,c` a list of codes or values;
`v.<item>__gte=`, `__gt=`, `__lte=`, `__lt=` ranges on integers, decimals and dates (dates as YYYY-MM-DD);
`v.<item>__isnull=true|false`. Items are element keys of the requested subcategory. A bad parameter raises
ApiError naming it, so the client gets 400 with the parameter's name.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db.models import Case, FloatField, Q, TextField, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from catalog.spec import DATE, DECIMAL, ID_CARD, INTEGER, USCC, TableSpec
from grassroots.api import ApiError

from .masking import allowed

PREFIX = "v."
OPERATORS = ("eq", "in", "gte", "gt", "lte", "lt", "isnull")
RANGE_OPERATORS = ("gte", "gt", "lte", "lt")
NUMERIC = (INTEGER, DECIMAL)
MAX_IN_VALUES = 1000
# Only text that looks like a number is cast: a stray non-numeric value must not make PostgreSQL's cast fail.
NUMBER_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"


@dataclass(frozen=True)
class Condition:
    item: str
    operator: str
    value: object
    item_type: str


def _bad(param: str, message: str) -> ApiError:
    return ApiError("invalid_parameter", f"参数 {param} 有误：{message}", param=param)


def _convert(param: str, item_type: str, raw: str):
    """A filter value converted to the item's type, so ranges compare numbers and dates, not text."""
    if item_type in NUMERIC:
        try:
            number = Decimal(raw.strip())
        except InvalidOperation as exc:
            raise _bad(param, f"“{raw}”不是数字") from exc
        if not number.is_finite() or abs(number) > Decimal("1e15"):
            raise _bad(param, f"“{raw}”不是有效的数字")
        return float(number)
    if item_type == DATE:
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError as exc:
            raise _bad(param, f"“{raw}”不是 YYYY-MM-DD 格式的日期") from exc
    if item_type in (ID_CARD, USCC):
        return raw.strip().upper()  # as the intake stores them (a trailing x becomes X)
    return raw


def parse_conditions(params, spec: TableSpec) -> list[Condition]:
    """Conditions from query parameters starting with `v.`; other parameters are left to the caller."""
    known = {item.key: item for item in spec.items}
    conditions = []
    for param in params:
        if not param.startswith(PREFIX):
            continue
        raw = params.get(param, "")
        item_key, _, operator = param[len(PREFIX) :].partition("__")
        operator = operator or "eq"
        if item_key not in known:
            raise _bad(param, f"子类 {spec.code} 没有数据项 {item_key}")
        if operator not in OPERATORS:
            raise _bad(param, f"不支持的运算 {operator}，可用：{', '.join(OPERATORS)}")
        item_type = known[item_key].type
        if operator in RANGE_OPERATORS and item_type not in (*NUMERIC, DATE):
            raise _bad(param, "范围条件只适用于数字和日期数据项")
        conditions.append(Condition(item_key, operator, _value_for(param, operator, item_type, raw), item_type))
    return conditions


def _value_for(param: str, operator: str, item_type: str, raw: str):
    if operator == "isnull":
        if raw not in ("true", "false"):
            raise _bad(param, "应为 true 或 false")
        return raw == "true"
    if operator == "in":
        values = [v for v in raw.split(",") if v != ""]
        if not values or len(values) > MAX_IN_VALUES:
            raise _bad(param, f"应为 1–{MAX_IN_VALUES} 个以逗号分隔的值")
        return [_convert(param, item_type, v) for v in values]
    return _convert(param, item_type, raw)


def condition_q(condition: Condition, field: str = "values") -> tuple[dict, Q]:
    """(annotations, Q) implementing one condition on the JSON column `field`."""
    path = f"{field}__{condition.item}"
    text = Cast(KT(path), TextField())  # compared as text, not with the JSON field's own lookups
    if condition.operator == "isnull":
        present = Q(**{f"{path}__isnull": False}) & ~Q(**{path: None}) & ~Q(**{path: ""})
        return {}, ~present if condition.value else present
    if condition.item_type in NUMERIC:
        alias = f"_num_{condition.item}"
        number = Case(When(**{f"{alias}_text__regex": NUMBER_TEXT}, then=Cast(text, FloatField())), default=None)
        annotation = {f"{alias}_text": text, alias: number}
        lookup = "exact" if condition.operator == "eq" else condition.operator
        return annotation, Q(**{f"{alias}__{lookup}": condition.value})
    alias = f"_txt_{condition.item}"
    lookup = "exact" if condition.operator == "eq" else condition.operator
    value = [str(v) for v in condition.value] if condition.operator == "in" else condition.value
    return {alias: text}, Q(**{f"{alias}__{lookup}": value})


def apply_conditions(queryset, conditions: list[Condition], field: str = "values"):
    """Narrow a Record queryset by the parsed conditions."""
    for condition in conditions:
        annotations, q = condition_q(condition, field)
        if annotations:
            queryset = queryset.alias(**annotations)
        queryset = queryset.filter(q)
    return queryset


def check_readable(conditions: list[Condition], spec: TableSpec, sensitivity: str) -> None:
    """Refuse filters on items the client may not read in clear: a range filter would reveal a hidden value.

    Equality and lists on the subcategory's key items stay allowed: they disclose no more than /match does.
    """
    items = {item.key: item for item in spec.items}
    for condition in conditions:
        if allowed(items[condition.item].sensitivity, sensitivity):
            continue
        if condition.item in spec.key_items and condition.operator in ("eq", "in"):
            continue
        param = f"{PREFIX}{condition.item}" + ("" if condition.operator == "eq" else f"__{condition.operator}")
        raise ApiError("item_not_readable", f"无权按数据项 {condition.item} 筛选（超出可读敏感级别）", param=param)
