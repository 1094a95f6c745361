"""The report-form language: a statistical report form (报表) written in YAML (a file under fixtures/reports/ or the
web editor), parsed into a checked, immutable `FormDefinition`, every problem reported in Chinese.

A form (docs/reports.md has the full description and the shipped forms as examples):

    code: population_overview             # lower case, digits, underscores
    title: 人口基本情况统计表
    number: 烟统人01表                      # 表号 (optional)
    department: 县统计局                     # the department issuing the form (制表机关)
    basis: 《中华人民共和国统计法》……          # 制度依据 / 批准文号 (optional)
    description: 填报说明……                  # (optional)
    rows: regions                          # the child regions of the chosen region (default), or
                                           # {item: industry}: the values of the item's code table
    as_of: today                           # default 统计时点: today, month_end, quarter_end, year_end (the last
                                           # day of the previous month, quarter or year)
    subject: P0101                         # default subject subcategory of the columns
    unit: 人                                # default unit of the columns
    columns:
      - {code: total, label: 户籍人口}       # count of the subject's active records (= entities)
      - code: female
        label: 女性
        when: [{item: sex, eq: "2"}]       # the condition language of rules (basedb/conditions.py):
                                           # when, has, has_any, has_none
      - {code: area, label: 建筑面积, subject: H0101, sum: floor_area, unit: 平方米, decimals: 2}
      - {code: avg_area, label: 平均建筑面积, subject: H0101, avg: floor_area}
"""

import re
from dataclasses import dataclass, field

from basedb.conditions import NUMERIC, ConditionParser, Selection, item_of, text
from catalog.spec import CodeTableSpec, TableSpec

FORM_KEYS = (
    "code", "title", "number", "department", "basis", "description", "rows", "as_of", "subject", "unit", "columns",
    "active",
)  # fmt: skip
REQUIRED_KEYS = ("code", "title", "department", "columns")
COLUMN_KEYS = (
    "code", "label", "unit", "subject", "count", "sum", "avg", "decimals", "when", "has", "has_any", "has_none",
)  # fmt: skip
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
COLUMN_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
REGIONS = "regions"
COUNT, SUM, AVG = "count", "sum", "avg"
MEASURES = {COUNT: "计数", SUM: "合计", AVG: "平均值"}
AS_OF_RULES = {"today": "填报当天", "month_end": "上月末", "quarter_end": "上季度末", "year_end": "上年末"}
MAX_COLUMNS = 40
MAX_DECIMALS = 4


class FormInvalid(Exception):
    """A form that cannot be used; `errors` lists every problem found, each a Chinese sentence naming its place."""

    def __init__(self, errors: list[str]):
        super().__init__("；".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Column:
    """One indicator: `measure` (count, sum or avg) of the records `selection` selects; sum and avg read `item`."""

    code: str
    label: str
    unit: str
    measure: str
    item: str | None
    decimals: int
    selection: Selection

    @property
    def subject(self) -> str:
        return self.selection.subject


@dataclass(frozen=True)
class CodeRows:
    """Rows are the values of a code table: the column subjects' `item`, all reading the same `table`."""

    item: str
    table: CodeTableSpec


@dataclass(frozen=True)
class FormDefinition:
    """A checked form. `data` is its canonical form (what is stored, versioned, compared and shown as YAML)."""

    code: str
    title: str
    number: str
    department: str
    basis: str
    description: str
    rows: CodeRows | None  # None: the child regions of the chosen region
    as_of: str
    unit: str
    columns: tuple[Column, ...]
    active: bool
    data: dict = field(compare=False, hash=False, repr=False)

    @property
    def by_regions(self) -> bool:
        return self.rows is None

    @property
    def subcategories(self) -> set[str]:
        return set().union(*(c.selection.subcategories for c in self.columns))

    def column(self, code: str) -> Column | None:
        return next((c for c in self.columns if c.code == code), None)

    @property
    def units(self) -> set[str]:
        return {c.unit for c in self.columns}


class _Parser(ConditionParser):
    """The form's own fields around the shared conditions of each column; every error collected."""

    def form(self, data) -> FormDefinition | None:
        if not isinstance(data, dict):
            self.error("", "报表应为“字段: 值”的映射（YAML 字典）")
            return None
        unknown = [str(k) for k in data if k not in FORM_KEYS]
        if unknown:
            self.error("", f"未知的字段 {'、'.join(unknown)}；可用字段：{'、'.join(FORM_KEYS)}")
        for key in REQUIRED_KEYS:
            if key != "columns" and not text(data.get(key)):
                self.error(key, "必填")
        code = text(data.get("code"))
        if code and not CODE_PATTERN.match(code):
            self.error("code", f"“{code}”不合格，报表代码只能由小写字母、数字和下划线组成，以字母开头，3–64 个字符")
        as_of = text(data.get("as_of")) or "today"
        if as_of not in AS_OF_RULES:
            self.error("as_of", f"“{as_of}”不是可用的统计时点；可用：{self._choices(AS_OF_RULES)}")
        subject = self.subcategory(data.get("subject"), "subject")
        unit = text(data.get("unit"))
        columns = self.columns(data.get("columns"), subject, unit)
        rows = self.rows(data.get("rows", REGIONS), columns)
        active = data.get("active", True)
        if not isinstance(active, bool):
            self.error("active", "应为 true 或 false")
        if self.errors:
            return None
        return FormDefinition(
            code=code, title=text(data["title"]), number=text(data.get("number")),
            department=text(data["department"]), basis=text(data.get("basis")),
            description=text(data.get("description")), rows=rows, as_of=as_of, unit=unit, columns=columns,
            active=active, data=canonical_data(data, as_of),
        )  # fmt: skip

    @staticmethod
    def _choices(choices: dict) -> str:
        return "、".join(f"{k}（{v}）" for k, v in choices.items())

    def columns(self, raw, subject: TableSpec | None, unit: str) -> tuple[Column, ...]:
        if not isinstance(raw, list) or not raw:
            self.error("columns", "应为栏目的列表，至少一栏，如 - {code: total, label: 合计}")
            return ()
        if len(raw) > MAX_COLUMNS:
            self.error("columns", f"栏目过多（{len(raw)} 栏），一张报表最多 {MAX_COLUMNS} 栏")
        parsed = [c for n, entry in enumerate(raw, 1) if (c := self.column(entry, subject, unit, n))]
        codes = [text(e.get("code")) for e in raw if isinstance(e, dict) and text(e.get("code"))]
        for dup in sorted({c for c in codes if codes.count(c) > 1}):
            self.error("columns", f"栏目代码 {dup} 重复")
        return tuple(parsed)

    def column(self, entry, default_subject: TableSpec | None, default_unit: str, n: int) -> Column | None:
        where = f"columns 第 {n} 栏"
        if not isinstance(entry, dict):
            self.error(where, "栏目应写成映射，如 {code: total, label: 合计}")
            return None
        unknown = [str(k) for k in entry if k not in COLUMN_KEYS]
        if unknown:
            self.error(where, f"未知的字段 {'、'.join(unknown)}；栏目可用：{'、'.join(COLUMN_KEYS)}")
        code, label = text(entry.get("code")), text(entry.get("label"))
        if not COLUMN_CODE.match(code):
            self.error(where, f"栏目代码“{code}”不合格：小写字母开头，由小写字母、数字和下划线组成，至多 40 个字符")
        if not label:
            self.error(where, "label（栏目名称）必填")
        where = f"columns 第 {n} 栏（{label or code}）"
        subject = default_subject
        if entry.get("subject") is not None:
            subject = self.subcategory(entry.get("subject"), f"{where} subject")
        elif default_subject is None:
            self.error(where, "没有主体子类：在栏目或报表上写 subject，如 subject: P0101")
        measure, item = self.measure(entry, subject, where)
        selection = self.selection(entry, subject, f"{where} when")
        decimals = self.decimals(entry.get("decimals", 0 if measure == COUNT else 2), measure, where)
        unit = text(entry.get("unit")) or default_unit or self.item_unit(subject, item)
        if subject is None or measure is None:
            return None
        return Column(code, label, unit, measure, item, decimals, selection)

    def measure(self, entry: dict, subject: TableSpec | None, where: str) -> tuple[str | None, str | None]:
        given = [m for m in (SUM, AVG) if entry.get(m) is not None]
        count = entry.get(COUNT)
        if count is not None and count is not True:
            self.error(where, "count 只能写 true（不写 sum、avg 时默认即为计数）")
            return None, None
        if len(given) + (count is True) > 1:
            self.error(where, "count、sum、avg 只能写一个")
            return None, None
        if not given:
            return COUNT, None
        measure = given[0]
        key = text(entry.get(measure))
        if subject is None:
            return measure, key
        item = item_of(subject, key)
        if item is None:
            self.error(where, f"{measure}：子类 {subject.code}（{subject.name}）没有数据项 {key}")
            return None, None
        if item.type not in NUMERIC:
            self.error(where, f"{measure}：数据项 {key}（{item.name}）不是数字，不能{MEASURES[measure]}")
            return None, None
        return measure, key

    def decimals(self, raw, measure: str | None, where: str) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_DECIMALS:
            self.error(where, f"decimals“{raw}”应为 0–{MAX_DECIMALS} 的整数（小数位数）")
            return 0
        if measure == COUNT and raw:
            self.error(where, "计数栏目不保留小数，不能写 decimals")
        return raw

    @staticmethod
    def item_unit(subject: TableSpec | None, key: str | None) -> str:
        item = item_of(subject, key) if subject is not None and key else None
        return item.unit if item is not None else ""

    def rows(self, raw, columns: tuple[Column, ...]) -> CodeRows | None:
        if raw == REGIONS:
            return None
        if not isinstance(raw, dict) or set(raw) != {"item"}:
            self.error("rows", "应为 regions（下级区划，默认）或 {item: 代码数据项}（按代码表的值分行）")
            return None
        key, tables = text(raw["item"]), {}
        for column in columns:
            spec = self.specs.get(column.subject)
            item = item_of(spec, key) if spec else None
            if item is None or item.code_table is None:
                self.error("rows", f"栏目 {column.code} 的主体子类 {column.subject} 没有代码数据项 {key}，不能按它分行")
            else:
                tables[item.code_table.code] = item.code_table
        if len(tables) > 1:
            self.error(
                "rows", f"各栏目的数据项 {key} 使用了不同的代码表（{'、'.join(sorted(tables))}），不能按同一代码分行"
            )
        return CodeRows(key, next(iter(tables.values()))) if len(tables) == 1 else None


def canonical_data(data: dict, as_of: str) -> dict:
    """The form as stored: known keys only, in the documented order, defaults made explicit."""
    canonical = {k: data[k] for k in FORM_KEYS if k in data and data[k] is not None}
    canonical["as_of"] = as_of
    canonical.setdefault("rows", REGIONS)
    canonical.setdefault("active", True)
    for key in ("code", "title", "number", "department", "basis", "description", "subject", "unit"):
        if key in canonical:
            canonical[key] = text(canonical[key])
    return canonical


def parse_form(data, *, specs) -> FormDefinition:
    """Check a form against the catalog (`specs`: subcategory code -> TableSpec); FormInvalid lists every problem."""
    parser = _Parser(specs)
    definition = parser.form(data)
    if definition is None:
        raise FormInvalid(parser.errors or ["报表无效"])
    return definition
