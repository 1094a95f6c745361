"""The rule language: a rule written in YAML (a file under fixtures/rules/ or the web editor) parsed into a checked,
immutable `RuleDefinition`, validated against the catalog with every problem reported in Chinese.

A rule (docs/rules.md has the full description and the shipped rules as examples):

    code: elderly_allowance_gap           # lower case, digits, underscores
    name: 高龄津贴应享未享
    department: 市民政局                    # the owning department
    basis: 《中华人民共和国老年人权益保障法》第三十三条……
    subject: P0101                         # the subcategory whose active records are listed
    when:                                  # conditions on the subject record, all must hold
      - age: {gte: 80}                     # age on the reference date: birth date, else the ID number
      - {item: household_size, gte: 3}     # comparisons: eq ne in not_in gt gte lt lte empty
      - any: [ {...}, {...} ]              # at least one of these holds
    has: [P0209]                           # the same entity has an active record in each of these
    has_any: [P0301, P0304]                # ... in at least one of these
    has_none: [P0305, P0106]               # ... in none of these
                                           # each also as {subcategory: P0307, when: [...]}: a record that holds
    show: [name, id_number, current_address]
    feedback: [deceased, moved_away, other]  # facts a township may report as 不属实 (facts.yaml)
    deadline_days: 30                      # entries still 待核实 after this many days are overdue

`subject`, `when` and `has*` are the condition language of base-database records, shared with report columns:
basedb/conditions.py parses them (ConditionParser, subclassed here) and basedb/conditions_sql.py compiles them.
"""

import re
from dataclasses import dataclass, field

from basedb.conditions import (
    PRESENCE_KEYS,
    Age,
    ConditionParser,
    Presence,
    Selection,
    flatten,
    has_item,
    items_read,
    text,
)
from catalog.spec import TableSpec

RULE_KEYS = (
    "code", "name", "department", "basis", "description", "subject", "when", "has", "has_any", "has_none", "show",
    "feedback", "deadline_days", "active",
)  # fmt: skip
REQUIRED_KEYS = ("code", "name", "department", "basis", "subject")
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
DEFAULT_DEADLINE_DAYS = 30


class RuleInvalid(Exception):
    """A rule that cannot be used; `errors` lists every problem found, each a Chinese sentence naming its place."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class RuleDefinition:
    """A checked rule. `data` is its canonical form (what is stored, versioned, compared and shown as YAML)."""

    code: str
    name: str
    department: str
    basis: str
    description: str
    subject: str
    kind: str
    when: tuple
    has: tuple[Presence, ...]
    has_any: tuple[Presence, ...]
    has_none: tuple[Presence, ...]
    show: tuple[str, ...]
    feedback: tuple[str, ...]
    deadline_days: int
    active: bool
    data: dict = field(compare=False, hash=False, repr=False)

    @property
    def selection(self) -> Selection:
        """The records the rule finds, in the shared condition language."""
        return Selection(self.subject, self.when, self.has, self.has_any, self.has_none)

    @property
    def subcategories(self) -> set[str]:
        """Every subcategory the rule reads: a change to any of them may change its results."""
        return self.selection.subcategories

    def items_of_when(self) -> list[str]:
        """Subject items named by the `when` conditions, in order (they go into an entry's facts)."""
        return items_read(self.when)

    def ages(self) -> list[Age]:
        return [c for c in flatten(self.when) if isinstance(c, Age)]


class _Parser(ConditionParser):
    """The rule's own fields around the shared conditions; every error collected (see ConditionParser)."""

    def __init__(self, specs, facts):
        super().__init__(specs)
        self.facts = facts

    def rule(self, data) -> RuleDefinition | None:
        if not isinstance(data, dict):
            self.error("", "规则应为“字段: 值”的映射（YAML 字典）")
            return None
        unknown = [str(k) for k in data if k not in RULE_KEYS]
        if unknown:
            self.error("", f"未知的字段 {'、'.join(unknown)}；可用字段：{'、'.join(RULE_KEYS)}")
        for key in REQUIRED_KEYS:
            if not text(data.get(key)):
                self.error(key, "必填")
        code = text(data.get("code"))
        if code and not CODE_PATTERN.match(code):
            self.error("code", f"“{code}”不合格，规则代码只能由小写字母、数字和下划线组成，以字母开头，3–64 个字符")
        subject = self.subcategory(data.get("subject"), "subject")
        selection = self.selection(data, subject)
        written = data.get("when") or any(data.get(k) for k in PRESENCE_KEYS)
        if not written and subject is not None:
            self.error("", "规则至少需要一个条件（when、has、has_any 或 has_none）")
        show = self.show(data.get("show"), subject)
        feedback = self.feedback(data.get("feedback"))
        deadline = self.deadline(data.get("deadline_days", DEFAULT_DEADLINE_DAYS))
        active = data.get("active", True)
        if not isinstance(active, bool):
            self.error("active", "应为 true 或 false")
        if self.errors:
            return None
        canonical = canonical_data(data, deadline)
        return RuleDefinition(
            code=code, name=text(data["name"]), department=text(data["department"]), basis=text(data["basis"]),
            description=text(data.get("description")), subject=subject.code, kind=subject.kind, when=selection.when,
            has=selection.has, has_any=selection.has_any, has_none=selection.has_none, show=show, feedback=feedback,
            deadline_days=deadline, active=active, data=canonical,
        )  # fmt: skip

    def show(self, raw, subject: TableSpec | None) -> tuple[str, ...]:
        if subject is None:
            return ()
        if raw is None:
            return tuple(subject.key_items) + tuple(i for i in ("name",) if has_item(subject, i))
        if not isinstance(raw, list) or not raw:
            self.error("show", "应为数据项标识的列表，如 [name, id_number, current_address]")
            return ()
        for item in raw:
            if not has_item(subject, str(item)):
                self.error("show", f"子类 {subject.code}（{subject.name}）没有数据项 {item}")
        return tuple(str(i) for i in raw)

    def feedback(self, raw) -> tuple[str, ...]:
        if raw is None:
            return tuple(self.facts)
        if not isinstance(raw, list):
            self.error("feedback", "应为反馈事实代码的列表，如 [deceased, moved_away, other]")
            return ()
        for code in raw:
            if str(code) not in self.facts:
                self.error("feedback", f"反馈事实 {code} 未定义；可用：{'、'.join(self.facts) or '（无）'}")
        return tuple(str(c) for c in raw)

    def deadline(self, raw) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= 3650:
            self.error("deadline_days", f"“{raw}”应为 1–3650 的整数（天）")
            return DEFAULT_DEADLINE_DAYS
        return raw


def canonical_data(data: dict, deadline: int) -> dict:
    """The rule as stored: known keys only, in the documented order, defaults made explicit."""
    canonical = {k: data[k] for k in RULE_KEYS if k in data and data[k] is not None}
    canonical["deadline_days"] = deadline
    canonical.setdefault("active", True)
    for key in ("code", "name", "department", "basis", "description", "subject"):
        if key in canonical:
            canonical[key] = text(canonical[key])
    return canonical


def parse_rule(data, *, specs, facts) -> RuleDefinition:
    """Check a rule against the catalog (`specs`: subcategory code -> TableSpec) and the feedback facts (`facts`:
    their codes); RuleInvalid lists every problem in Chinese."""
    parser = _Parser(specs, list(facts))
    definition = parser.rule(data)
    if definition is None:
        raise RuleInvalid(parser.errors or ["规则无效"])
    return definition
