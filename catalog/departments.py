"""The catalog's answer to regions.departments: which subcategories each 数源部门 (source department) owns."""

from collections.abc import Iterable


def subcategories_by_department(names: Iterable[str]) -> dict[str, set[str]]:
    """{数源部门 name: codes of the active subcategories whose department it is}, in one query."""
    from .models import Subcategory

    found: dict[str, set[str]] = {}
    rows = Subcategory.objects.filter(department__in=list(names), is_active=True).values_list("department", "code")
    for name, code in rows:
        found.setdefault(name, set()).add(code)
    return found


def source_departments() -> list[str]:
    """Every 数源部门 named by an active subcategory, for choosing a department's catalog name."""
    from .models import Subcategory

    names = Subcategory.objects.filter(is_active=True).exclude(department="").values_list("department", flat=True)
    return sorted(set(names))
