"""Why an entry is on its work list, in Chinese: each condition of the rule version that evaluated it, with the
values it held then (the entry's facts). Personal values are masked unless the reader may see them."""

from datetime import date

from django.utils import timezone

from basedb.conditions import OPERATORS, Age, AnyOf, Comparison, Presence
from catalog.spec import PERSON_NAME_ROLE
from catalog.specs_build import current_specs
from sharing.masking import OMIT, mask_value

from .definition import RuleDefinition

HIDDEN = "已隐藏"
PERSONAL = "personal"


def age_on(birth: str | None, day: date) -> int | None:
    """Whole years between an ISO birth date and `day`, None when the birth date is unknown or malformed."""
    try:
        born = date.fromisoformat(str(birth))
    except (TypeError, ValueError):
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Explainer:
    """Builds reasons for the entries of one rule version (catalog labels read once)."""

    def __init__(self, definition: RuleDefinition, *, reveal: bool = False, today: date | None = None):
        self.definition = definition
        self.specs = current_specs()
        self.reveal = reveal
        self.today = today or timezone.localdate()

    def item(self, subcategory: str, key: str):
        spec = self.specs.get(subcategory)
        return next((i for i in spec.items if i.key == key), None) if spec else None

    def label(self, subcategory: str, key: str) -> str:
        item = self.item(subcategory, key)
        return item.name if item else key

    def shown(self, subcategory: str, key: str, value) -> str:
        """A value as the reader sees it: code label, 是/否, masked when personal."""
        if value is None or value == "":
            return "空"
        item = self.item(subcategory, key)
        if item is not None and item.sensitivity == PERSONAL and not self.reveal:
            masked = mask_value(
                key, item.type, value, key_type=item.key_type, person_name=PERSON_NAME_ROLE in item.roles
            )
            return HIDDEN if masked is OMIT else str(masked)
        if isinstance(value, bool) or (item is not None and item.type == "boolean"):
            return "是" if value in (True, 1, "1", "true") else "否"
        if item is not None and item.code_table is not None:
            return item.code_table.labels.get(str(value), str(value))
        return str(value)

    def subcategory_name(self, code: str) -> str:
        spec = self.specs.get(code)
        return f"“{spec.name}”" if spec else code

    def condition(self, subcategory: str, condition, facts: dict | None) -> str:
        if isinstance(condition, AnyOf):
            return "以下之一：" + "，或".join(self.condition(subcategory, c, facts) for c in condition.conditions)
        if isinstance(condition, Age):
            text = f"年龄{OPERATORS[condition.op]} {condition.years} 周岁"
            age = age_on((facts or {}).get("_birth"), self.today) if facts is not None else None
            return f"{text}（现 {age} 周岁）" if age is not None else text
        return self.comparison(subcategory, condition, facts)

    def comparison(self, subcategory: str, c: Comparison, facts: dict | None) -> str:
        label = self.label(subcategory, c.item)
        if c.op == "empty":
            return f"{label}{'为空' if c.value else '不为空'}"
        values = c.value if isinstance(c.value, list) else [c.value]
        wanted = "、".join(self._plain(subcategory, c.item, v) for v in values)
        text = f"{label}{OPERATORS[c.op]} {wanted}"
        if facts is None or c.item not in facts:
            return text
        return f"{text}（为 {self.shown(subcategory, c.item, facts[c.item])}）"

    def _plain(self, subcategory: str, key: str, value) -> str:
        """A rule's own value (never personal data): code label, 是/否, dates and numbers as written."""
        item = self.item(subcategory, key)
        if isinstance(value, bool):
            return "是" if value else "否"
        if item is not None and item.code_table is not None:
            return item.code_table.labels.get(str(value), str(value))
        return str(value)

    def presence(self, presence: Presence, prefix: str) -> str:
        conditions = "；".join(self.condition(presence.subcategory, c, None) for c in presence.conditions)
        detail = f"（{conditions}）" if conditions else ""
        return f"{prefix}{self.subcategory_name(presence.subcategory)}有效记录{detail}"

    def lines(self, facts: dict | None) -> list[str]:
        """One line per condition; with `facts` (an entry's), the values that held."""
        d = self.definition
        lines = [self.condition(d.subject, c, facts) for c in d.when]
        lines += [self.presence(p, "有") for p in d.has]
        if d.has_any:
            held = [p for n, p in enumerate(d.has_any) if facts and facts.get(f"_has_any_{n}") in (True, 1)]
            names = "、".join(self.subcategory_name(p.subcategory) for p in held or d.has_any)
            lines.append(f"有{names}有效记录" if held else f"有{names}之一的有效记录")
        lines += [self.presence(p, "无") for p in d.has_none]
        return lines
