"""One checker per element type: each takes the cleaned distinct texts of a column and returns their normalised
values, error rules and messages, and correction kinds (see normalize.py for the column pass that calls them).

The hot types (ID numbers, credit codes, phones, ISO dates) are checked with whole-array operations; only values
not already in canonical form take a per-value Python path, and those are few in real files.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

import numpy as np

from catalog import spec as S
from catalog.spec import ItemSpec
from collection.pipeline import idnumbers
from collection.pipeline import messages as M
from collection.pipeline.types import CHECKSUM, CODE, LENGTH, PATTERN, PRECISION_LOST, RANGE, TYPE
from grassroots.text import lookup_key

# Correction kinds of the type checks (shown in reports; stable). Cleanup's own kinds are in normalize.py.
ID_LOWER_X, UPPERCASE = "id_lower_x", "uppercase"
DATE_FORMAT, EXCEL_SERIAL, CODE_LABEL, BOOLEAN_LABEL = "date_format", "excel_serial", "code_label", "boolean_label"
PHONE_FORMAT, NUMBER_FORMAT = "phone_format", "number_format"

SEP = "\x1f"  # joins a column's values for one-pass processing; cleaned values never hold it
_NUMERIC_CELL = re.compile(r"[+-]?\d+(?:\.\d*)?[eE][+-]?\d+|[+-]?\d*\.\d+|[+-]?\d+\.")  # number text
LOST_DIGITS_FROM = Decimal("1e15")  # a number cell keeps 15 significant digits: an 18-digit ID loses its last ones


def _number_form(value: str) -> str | None:
    """How number text in an ID column came to be: "lost" for 16 or more digits written as a number (an ID that went
    through a number cell and lost its last digits, e.g. 2.22401195703155e+17), "decimal" for any other number with
    a point or an exponent (1.5 is simply not an ID), None for anything else."""
    if not _NUMERIC_CELL.fullmatch(value):
        return None
    return "lost" if abs(Decimal(value)) >= LOST_DIGITS_FROM else "decimal"


def _empty_result(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list]:
    return np.empty(n, dtype=object), np.full(n, None, dtype=object), np.full(n, None, dtype=object), [None] * n


# --- text ---------------------------------------------------------------------------------------------------------


def check_text(values: np.ndarray, item: ItemSpec, today: datetime.date):
    _, rules, msgs, kinds = _empty_result(len(values))
    _check_length_and_pattern(values, item, rules, msgs)
    return values.copy(), rules, msgs, kinds


def _check_length_and_pattern(values: np.ndarray, item: ItemSpec, rules: np.ndarray, msgs: np.ndarray) -> None:
    if item.max_length or item.min_length:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
        if item.max_length:
            for i in np.flatnonzero(lengths > item.max_length):
                rules[i], msgs[i] = LENGTH, M.too_long(item.name, item.max_length, int(lengths[i]))
        if item.min_length:
            for i in np.flatnonzero((lengths < item.min_length) & (lengths > 0)):
                rules[i], msgs[i] = LENGTH, M.too_short(item.name, item.min_length, int(lengths[i]))
    if item.pattern:
        matcher = re.compile(item.pattern).fullmatch
        misses = np.equal(np.array(list(map(matcher, values)), dtype=object), None)
        for i in np.flatnonzero(misses & np.equal(rules, None) & (values != "")):
            rules[i], msgs[i] = PATTERN, M.pattern(item.name, values[i], item.pattern_hint)


# --- citizen ID (GB 11643) ----------------------------------------------------------------------------------------


def _check_id_card(values: np.ndarray, item: ItemSpec, today: datetime.date):
    _, rules, msgs, kinds = _empty_result(len(values))
    upper = _upper(values)
    status, expected = idnumbers.check_id_numbers(upper, today)
    for i in np.flatnonzero(upper != values) if upper is not values else ():
        kinds[i] = ID_LOWER_X
    for i in np.flatnonzero((status != idnumbers.OK) & (values != "")):
        rules[i], msgs[i] = _id_error(item.name, values[i], upper[i], int(status[i]), expected[i])
    return upper, rules, msgs, kinds


def _upper(values: np.ndarray) -> np.ndarray:
    """Upper-cased values (cleaned values hold no separator, so the joined column splits back exactly)."""
    joined = SEP.join(values)
    upper = joined.upper()
    return values if upper == joined else np.array(upper.split(SEP), dtype=object)


def _id_error(name: str, raw: str, value: str, status: int, expected: str) -> tuple[str, str]:
    form = _number_form(value)
    if form == "lost":
        return PRECISION_LOST, M.precision_lost(name, raw)
    if form == "decimal":
        return PATTERN, M.id_decimal(name, raw)
    date_text = f"{value[6:10]}-{value[10:12]}-{value[12:14]}"
    if status == idnumbers.LENGTH:
        return LENGTH, M.id_length(name, raw, len(value))
    if status == idnumbers.PATTERN:
        return PATTERN, M.id_pattern(name, raw)
    if status == idnumbers.BAD_DATE:
        return PATTERN, M.id_bad_date(name, raw, date_text)
    if status == idnumbers.FUTURE_DATE:
        return PATTERN, M.id_future_date(name, raw, date_text)
    if status == idnumbers.BAD_PROVINCE:
        return PATTERN, M.id_province(name, raw)
    return CHECKSUM, M.id_checksum(name, expected, value.endswith("00"))


# --- unified social credit code (GB 32100) ------------------------------------------------------------------------


def _check_uscc(values: np.ndarray, item: ItemSpec, today: datetime.date):
    _, rules, msgs, kinds = _empty_result(len(values))
    upper = _upper(values)
    status, expected = idnumbers.check_usccs(upper)
    for i in np.flatnonzero(upper != values) if upper is not values else ():
        kinds[i] = UPPERCASE
    for i in np.flatnonzero((status != idnumbers.OK) & (values != "")):
        value, form = upper[i], _number_form(upper[i])
        if form == "lost":
            rules[i], msgs[i] = PRECISION_LOST, M.precision_lost(item.name, values[i])
        elif form == "decimal":
            rules[i], msgs[i] = PATTERN, M.uscc_decimal(item.name, values[i])
        elif status[i] == idnumbers.LENGTH:
            rules[i], msgs[i] = LENGTH, M.uscc_length(item.name, values[i], len(value))
        elif status[i] == idnumbers.PATTERN:
            rules[i], msgs[i] = PATTERN, M.uscc_pattern(item.name, values[i])
        else:
            rules[i], msgs[i] = CHECKSUM, M.uscc_checksum(item.name, expected[i])
    return upper, rules, msgs, kinds


# --- phone --------------------------------------------------------------------------------------------------------

_MOBILE = re.compile(r"1[3-9]\d{9}")
_PHONE_NOISE = re.compile(r"[-()（）—－.]")
_PHONE_PREFIX = re.compile(r"^(?:\+86|0086|\+0086)")
_LANDLINE = re.compile(r"(0(?:10|2\d|[3-9]\d{2}))-?([1-9]\d{6,7})")


def _check_phone(values: np.ndarray, item: ItemSpec, today: datetime.date):
    out, rules, msgs, kinds = _empty_result(len(values))
    points, lengths = idnumbers.codepoints(values, width=11)
    digits = (points >= 48) & (points <= 57)
    canonical = (lengths == 11) & digits.all(axis=1) & (points[:, 0] == 49) & (points[:, 1] >= 51)
    out[canonical] = values[canonical]
    for i in np.flatnonzero(~canonical & (values != "")):
        out[i], rules[i], msgs[i], kinds[i] = _normalize_phone(values[i], item.name)
    return out, rules, msgs, kinds


def _normalize_phone(value: str, name: str) -> tuple[str, str | None, str | None, str | None]:
    plain = _PHONE_NOISE.sub("", _PHONE_PREFIX.sub("", value))
    if _MOBILE.fullmatch(plain):
        return plain, None, None, PHONE_FORMAT
    if plain.startswith("86") and _MOBILE.fullmatch(plain[2:]):
        return plain[2:], None, None, PHONE_FORMAT
    landline = _LANDLINE.fullmatch(value) or _LANDLINE.fullmatch(plain)
    if landline:
        canonical = f"{landline.group(1)}-{landline.group(2)}"
        return canonical, None, None, (PHONE_FORMAT if canonical != value else None)
    if plain.isdigit() and plain.startswith("1") and len(plain) != 11:
        return value, LENGTH, M.phone_length(name, value, len(plain)), None
    return value, PATTERN, M.phone_pattern(name, value), None


# --- dates --------------------------------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?")
_DATE_TEXT = re.compile(r"(\d{4}) ?[-/.年] ?(\d{1,2}) ?[-/.月] ?(\d{1,2}) ?[日号]?(?: \d{1,2}:\d{2}(?::\d{2})?)?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{1,5})(?:\.\d+)?")
_YEAR_MONTH = re.compile(r"(\d{4}) ?[-/.年] ?(\d{1,2}) ?月?|\d{4} ?年?")
_EXCEL_EPOCH = datetime.date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 1, 73050  # 1900-01-01 .. 2099-12-31


def parse_date(value: str) -> tuple[datetime.date | None, str | None, str | None]:
    """(date, correction kind, error kind) of one cleaned date text; error kind is "type" or "impossible"."""
    match = _ISO.fullmatch(value)
    kind = None
    if not match:
        kind = DATE_FORMAT
        match = _ISO_TIME.fullmatch(value) or _DATE_TEXT.fullmatch(value) or _COMPACT_DATE.fullmatch(value)
    if match:
        try:
            return datetime.date(*map(int, match.groups())), kind, None
        except ValueError:
            return None, None, "impossible"
    serial = _SERIAL.fullmatch(value)
    if serial and _SERIAL_MIN <= int(serial.group(1)) <= _SERIAL_MAX and not _looks_like_year(serial.group(1)):
        return _EXCEL_EPOCH + datetime.timedelta(days=int(serial.group(1))), EXCEL_SERIAL, None
    if _YEAR_MONTH.fullmatch(value):
        return None, None, "partial"
    return None, None, "type"


def _looks_like_year(digits: str) -> bool:
    return len(digits) == 4 and 1800 <= int(digits) <= 2100


def _check_date(values: np.ndarray, item: ItemSpec, today: datetime.date):
    out, rules, msgs, kinds = _empty_result(len(values))
    minimum = datetime.date.fromisoformat(item.min_date) if item.min_date else None
    iso = _real_iso_dates(values)
    numbers = idnumbers.iso_date_numbers(values[iso]) if iso.any() else np.zeros(0, dtype=np.int64)
    late = numbers > _date_int(today) if item.not_future else np.zeros(len(numbers), dtype=bool)
    early = numbers < _date_int(minimum) if minimum else np.zeros(len(numbers), dtype=bool)
    fine = np.flatnonzero(iso)
    out[fine[~late & ~early]] = values[fine[~late & ~early]]
    for i in fine[late]:
        rules[i], msgs[i] = RANGE, M.date_future(item.name)
    for i in fine[early & ~late]:
        rules[i], msgs[i] = RANGE, M.date_before(item.name, item.min_date)
    for i in np.flatnonzero(~iso & (values != "")):  # other formats, serial numbers and errors: per value
        date, kinds[i], error = parse_date(values[i])
        if error:
            message = {"impossible": M.date_impossible, "partial": M.date_missing_day}.get(error, M.date_type)
            rules[i], msgs[i] = TYPE, message(item.name, values[i])
        elif item.not_future and date > today:
            rules[i], msgs[i] = RANGE, M.date_future(item.name)
        elif minimum and date < minimum:
            rules[i], msgs[i] = RANGE, M.date_before(item.name, item.min_date)
        else:
            out[i] = date.isoformat()
    return out, rules, msgs, kinds


_ISO_POSITIONS = [0, 1, 2, 3, 5, 6, 8, 9]


def _real_iso_dates(values: np.ndarray) -> np.ndarray:
    """Which values are already 'YYYY-MM-DD' of a real day (what date cells give), checked column-wise."""
    points, lengths = idnumbers.codepoints(values, width=10)
    is_digit, digits = idnumbers.digit_matrix(points)
    shaped = (lengths == 10) & is_digit[:, _ISO_POSITIONS].all(axis=1) & (points[:, 4] == 45) & (points[:, 7] == 45)
    number = digits[:, _ISO_POSITIONS] @ idnumbers.DATE_POWERS
    year, month, day = number // 10000, number // 100 % 100, number % 100
    month_ok = (month >= 1) & (month <= 12)
    return shaped & (year >= 1) & month_ok & (day >= 1) & (day <= idnumbers.days_in_month(year, month))


def _date_int(date: datetime.date) -> int:
    return date.year * 10000 + date.month * 100 + date.day


# --- numbers ------------------------------------------------------------------------------------------------------

# A trailing unit is dropped only when it is the item's own unit (or a common way of writing it), so that 5000000元
# in a 万元 column is an error rather than a number 10,000 times too large; counts may carry a counting word.
_UNIT_FORMS = {"平方米": ("平方米", "平米", "m2"), "万元": ("万元", "万"), "米": ("米", "m"), "人": ("人", "名")}
_COUNT_WORDS = ("层", "人", "户", "间", "个", "岁", "辆", "台", "名", "次")


def number_units(item: ItemSpec) -> tuple[str, ...]:
    """The trailing units accepted (and dropped) in the item's cells, longest first."""
    unit = lookup_key(getattr(item, "unit", "") or "")
    units = (*_UNIT_FORMS.get(unit, ()), unit) if unit else ()
    if item.type == S.INTEGER:
        units += _COUNT_WORDS
    return tuple(sorted(set(units), key=len, reverse=True))


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")


def parse_number(value: str, units: tuple[str, ...] = ()) -> tuple[Decimal | None, str | None]:
    """(number, correction kind) of one cleaned number text (a trailing unit and thousands separators are dropped
    and counted); None when it is not a number."""
    kind = None
    text = value
    for suffix in units:
        if text.endswith(suffix) and len(text) > len(suffix):
            text, kind = text[: -len(suffix)], NUMBER_FORMAT
            break
    if _THOUSANDS.fullmatch(text):
        text, kind = text.replace(",", ""), NUMBER_FORMAT
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None, None
    if not number.is_finite():
        return None, None
    return number, kind


def canonical_number(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "+0") else text


def _check_number(values: np.ndarray, item: ItemSpec, today: datetime.date):
    out, rules, msgs, kinds = _empty_result(len(values))
    integer = item.type == S.INTEGER or getattr(item, "key_type", None) == S.INTEGER
    units = number_units(item)
    for i, value in enumerate(values):
        if not value:
            continue
        number, kinds[i] = parse_number(value, units)
        if number is None:
            rules[i], msgs[i] = TYPE, (M.not_integer if integer else M.not_number)(item.name, value)
            continue
        if integer and number != number.to_integral_value():
            rules[i], msgs[i] = TYPE, M.not_integer(item.name, value)
            continue
        canonical = canonical_number(number)
        if canonical != value and kinds[i] is None:
            kinds[i] = NUMBER_FORMAT
        rules[i], msgs[i] = _number_range(item, number, value)
        out[i] = canonical
    return out, rules, msgs, kinds


def _number_range(item: ItemSpec, number: Decimal, value: str) -> tuple[str | None, str | None]:
    if item.min_value is not None:
        minimum = Decimal(str(item.min_value))
        if number < minimum or (item.min_exclusive and number == minimum):
            return RANGE, M.below(item.name, value, canonical_number(minimum), item.min_exclusive)
    if item.max_value is not None and number > Decimal(str(item.max_value)):
        return RANGE, M.above(item.name, value, canonical_number(Decimal(str(item.max_value))))
    return None, None


# --- codes and booleans -------------------------------------------------------------------------------------------

_TRUE = ("是", "有", "y", "yes", "true", "1", "√", "对")
_FALSE = ("否", "无", "没有", "n", "no", "false", "0", "×", "不是")
BOOLEAN_WORDS = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}


def _check_code(values: np.ndarray, item: ItemSpec, today: datetime.date):
    out, rules, msgs, kinds = _empty_result(len(values))
    table = item.code_table
    if table is None:
        return check_text(values, item, today)
    for i, value in enumerate(values):
        if not value:
            continue
        code = _lookup(table, value)
        if code is None:
            rules[i], msgs[i] = CODE, M.code(item.name, value, list(table.labels.values()), table.name)
        else:
            # Writing the code or the standard label is the normal case; an alias (男, 本科) is a correction.
            standard = (lookup_key(code), lookup_key(table.labels.get(code, code)))
            out[i], kinds[i] = code, (None if lookup_key(value) in standard else CODE_LABEL)
    return out, rules, msgs, kinds


def _lookup(table: S.CodeTableSpec, value: str) -> str | None:
    key = lookup_key(value)
    code = table.lookup.get(key)
    if code is None and key.isdigit():
        # Excel drops leading zeros of codes typed into number cells (民族 01 -> 1).
        for width in sorted({len(c) for c in table.labels}):
            if width > len(key) and (code := table.lookup.get(key.zfill(width))) is not None:
                break
    return code


def _check_boolean(values: np.ndarray, item: ItemSpec, today: datetime.date):
    out, rules, msgs, kinds = _empty_result(len(values))
    for i, value in enumerate(values):
        if not value:
            continue
        key = lookup_key(value)
        if key in BOOLEAN_WORDS:
            out[i] = BOOLEAN_WORDS[key]
            kinds[i] = None if key in ("是", "否") else BOOLEAN_LABEL
        else:
            rules[i], msgs[i] = CODE, M.boolean(item.name, value)
    return out, rules, msgs, kinds


# --- region code --------------------------------------------------------------------------------------------------

_REGION = re.compile(r"\d{4}|\d{6}|\d{9}|\d{12}|\d{15}")


def _check_region(values: np.ndarray, item: ItemSpec, today: datetime.date):
    _, rules, msgs, kinds = _empty_result(len(values))
    for i in np.flatnonzero(np.equal(np.array(list(map(_REGION.fullmatch, values)), dtype=object), None)):
        if values[i]:
            rules[i], msgs[i] = PATTERN, M.region(item.name, values[i])
    return values.copy(), rules, msgs, kinds


CHECKERS = {
    S.TEXT: check_text,
    S.ID_CARD: _check_id_card,
    S.USCC: _check_uscc,
    S.PHONE: _check_phone,
    S.DATE: _check_date,
    S.INTEGER: _check_number,
    S.DECIMAL: _check_number,
    S.CODE: _check_code,
    S.BOOLEAN: _check_boolean,
    S.REGION: _check_region,
}
