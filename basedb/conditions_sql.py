"""The condition language (basedb/conditions.py) turned into database expressions: querysets of records, the same
on PostgreSQL and SQLite (JSON key transforms, EXISTS subqueries, ages by comparing ISO date strings).

Values are stored as the intake normalised them: codes and ID numbers as text, numbers as canonical decimal text,
dates as YYYY-MM-DD, yes/no as JSON booleans. An empty item satisfies no comparison.
"""

import calendar
from datetime import date
from decimal import Decimal
from functools import reduce
from operator import and_, or_

from django.db.models import Exists, FloatField, Func, OuterRef, Q, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from .choices import RecordStatus
from .conditions import NUMERIC, RELATIVE_DATE, Age, AnyOf, Comparison, Presence, Selection
from .models import Record

LOOKUPS = {"eq": "exact", "in": "in", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte"}
NUMBER_TEXT = r"^-?[0-9]+(\.[0-9]+)?$"


def years_before(day: date, years: int) -> date:
    """The same calendar day `years` earlier (29 February becomes 28 February in a common year)."""
    year = day.year - years
    return day.replace(year=year, day=min(day.day, calendar.monthrange(year, day.month)[1]))


def months_before(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def resolve_date(value: str, as_of: date) -> str:
    """An ISO date, or a date relative to the reference date (参考日-1年, 参考日+30天) resolved against `as_of`."""
    match = RELATIVE_DATE.match(value)
    if match is None:
        return value
    sign, amount, unit = match.groups()
    if sign is None:
        return as_of.isoformat()
    n = int(amount) * (-1 if sign == "+" else 1)
    if unit == "年":
        return years_before(as_of, n).isoformat()
    if unit == "月":
        return months_before(as_of, n).isoformat()
    return date.fromordinal(as_of.toordinal() - n).isoformat()


class NumberValue(Func):
    """The number in a text expression, NULL when the text is not a plain decimal (never a cast error)."""

    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        guard = f"{sql} <> '' AND TRIM({sql}, '0123456789.-') = ''"
        return f"(CASE WHEN {guard} THEN CAST({sql} AS REAL) END)", (*params, *params, *params)

    def as_postgresql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CASE WHEN {sql} ~ %s THEN CAST({sql} AS double precision) END)", (*params, NUMBER_TEXT, *params)


class BirthDate(Func):
    """The birth date as YYYY-MM-DD: the birth-date item when filled, else the eight digits inside an 18-character
    ID number (people registered without a birth date still get an age)."""

    output_field = TextField()

    def __init__(self, birth, id_number):
        super().__init__(birth if birth is not None else _null(), id_number if id_number is not None else _null())

    def as_sql(self, compiler, connection, **extra):
        (birth, birth_params), (idn, idn_params) = (compiler.compile(e) for e in self.source_expressions)
        from_id = (
            f"CASE WHEN LENGTH({idn}) = 18 THEN SUBSTR({idn}, 7, 4) || '-' || SUBSTR({idn}, 11, 2) || '-' || "
            f"SUBSTR({idn}, 13, 2) END"
        )
        sql = f"COALESCE(NULLIF({birth}, ''), {from_id})"
        return sql, (*birth_params, *(idn_params * 4))


def _null():
    return Cast(None, TextField())


def item_text(item: str):
    """The item of a record's values as text (NULL when absent)."""
    return Cast(KT(f"values__{item}"), TextField())


def item_number(item: str) -> NumberValue:
    """The item of a record's values as a number (NULL when absent or not a number)."""
    return NumberValue(item_text(item))


def birth_expression(condition: Age) -> BirthDate:
    return BirthDate(
        item_text(condition.birth_item) if condition.birth_item else None,
        item_text(condition.id_item) if condition.id_item else None,
    )


class ConditionBuilder:
    """Builds the aliases and Q objects of conditions for one queryset of records. Several lists of conditions may
    share one builder (e.g. the columns of a report): an item read by many of them is extracted once."""

    def __init__(self, as_of: date):
        self.as_of = as_of
        self.aliases: dict[str, object] = {}
        self._names: dict[tuple, str] = {}

    def alias(self, key: tuple, expression) -> str:
        if key not in self._names:
            self._names[key] = f"_m{len(self._names)}"
            self.aliases[self._names[key]] = expression
        return self._names[key]

    def all_of(self, conditions) -> Q:
        """Every condition holds (an empty list: always)."""
        return reduce(and_, (self.q(c) for c in conditions), Q())

    def q(self, condition) -> Q:
        if isinstance(condition, AnyOf):
            return reduce(or_, (self.q(c) for c in condition.conditions))
        if isinstance(condition, Age):
            return self.age(condition)
        return self.comparison(condition)

    def age(self, condition: Age) -> Q:
        """age >= N  ⇔  born on or before the reference date minus N years (ISO text compares as dates)."""
        birth = self.alias(("birth", condition.birth_item, condition.id_item), birth_expression(condition))
        years, op = condition.years, condition.op

        def at_least(n: int) -> Q:
            return Q(**{f"{birth}__lte": years_before(self.as_of, n).isoformat()})

        def below(n: int) -> Q:
            return Q(**{f"{birth}__gt": years_before(self.as_of, n).isoformat()})

        forms = {
            "gte": lambda: at_least(years), "gt": lambda: at_least(years + 1), "lt": lambda: below(years),
            "lte": lambda: below(years + 1), "eq": lambda: at_least(years) & below(years + 1),
            "ne": lambda: below(years) | at_least(years + 1),
        }  # fmt: skip
        return forms[op]() & Q(**{f"{birth}__isnull": False})

    def comparison(self, c: Comparison) -> Q:
        text = self.alias(("text", c.item), item_text(c.item))
        present = Q(**{f"{text}__isnull": False}) & ~Q(**{text: ""})
        if c.op == "empty":
            return ~present if c.value else present
        if c.item_type == "boolean":
            wanted = c.value if c.op == "eq" else not c.value
            return Q(**{f"values__{c.item}": wanted})
        field, value = text, c.value
        if c.item_type in NUMERIC:
            field = self.number(c.item)
            value = [float(v) for v in value] if isinstance(value, list) else float(Decimal(value))
        elif c.item_type == "date":
            value = (
                [resolve_date(v, self.as_of) for v in value]
                if isinstance(value, list)
                else resolve_date(value, self.as_of)
            )
        if c.op in ("ne", "not_in"):
            positive = "eq" if c.op == "ne" else "in"
            return present & ~Q(**{f"{field}__{LOOKUPS[positive]}": value})
        return present & Q(**{f"{field}__{LOOKUPS[c.op]}": value})

    def number(self, item: str) -> str:
        """The alias of the item as a number."""
        return self.alias(("number", item), item_number(item))

    def presences(self, selection: Selection, subcategory_ids: dict[str, int]) -> Q:
        """The selection's has / has_any / has_none as one Q (EXISTS subqueries on the same entity)."""
        parts = [Q(presence_exists(p, subcategory_ids, self.as_of)) for p in selection.has]
        parts += [~Q(presence_exists(p, subcategory_ids, self.as_of)) for p in selection.has_none]
        if selection.has_any:
            parts.append(reduce(or_, (Q(presence_exists(p, subcategory_ids, self.as_of)) for p in selection.has_any)))
        return reduce(and_, parts, Q())

    def selected(self, selection: Selection, subcategory_ids: dict[str, int]) -> Q:
        """Every condition of the selection on a record of its subject, as one Q."""
        return self.all_of(selection.when) & self.presences(selection, subcategory_ids)


def filter_conditions(queryset, conditions, as_of: date):
    """`queryset` (of records) narrowed to the records for which every condition holds."""
    if not conditions:
        return queryset
    builder = ConditionBuilder(as_of)
    q = builder.all_of(conditions)
    return queryset.alias(**builder.aliases).filter(q)


def active_records():
    """Active base-database records, read whole: callers selecting for a user narrow with `.restrict()` after."""
    return Record.objects.filter(status=RecordStatus.ACTIVE)


def presence_exists(presence: Presence, subcategory_ids: dict[str, int], as_of: date) -> Exists:
    """EXISTS an active record of the same entity in the presence's subcategory (for which its conditions hold)."""
    records = active_records().filter(
        subcategory_id=subcategory_ids[presence.subcategory], entity_id=OuterRef("entity_id")
    )
    return Exists(filter_conditions(records, presence.conditions, as_of).order_by())


def select_records(selection: Selection, subcategory_ids: dict[str, int], as_of: date):
    """The active records of the selection's subject it selects, as a queryset (not evaluated: callers narrow it)."""
    builder = ConditionBuilder(as_of)
    q = builder.selected(selection, subcategory_ids)
    queryset = active_records().filter(subcategory_id=subcategory_ids[selection.subject])
    return queryset.alias(**builder.aliases).filter(q).order_by()
