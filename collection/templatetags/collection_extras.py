"""Template filters of the intake pages: Chinese labels of rule codes and severities, Excel column letters."""

from django import template
from openpyxl.utils import get_column_letter

from collection import report

register = template.Library()


@register.filter
def rule_label(rule: str) -> str:
    return report.rule_label(rule)


@register.filter
def severity_label(severity: str) -> str:
    return report.severity_label(severity)


@register.filter
def column_letter(index: int | None) -> str:
    """0-based column position → the letter a person sees in Excel (A, B, …, AA)."""
    return get_column_letter(index + 1) if isinstance(index, int) else ""


@register.filter
def item_value(values: dict, item: str):
    """The current (normalised) value of an item in a staged row's values."""
    return (values or {}).get(item)
