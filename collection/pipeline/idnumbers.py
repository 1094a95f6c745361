"""Column-wise checks of Chinese citizen ID numbers (GB 11643) and unified social credit codes (GB 32100).

Both work on whole numpy arrays of already normalised text (NFKC, no whitespace, upper case) and return one
status code per value, so a 100,000-row column is checked in milliseconds. python-stdnum is the reference for the
check digits and dates (tests compare against it), but it is not called here: it is ~100x slower per cell and its
area table lags reality (it raises KeyError for real newer codes such as 330113 临平区). For the area we only
check that the first two digits are a province-level code, so a real person is never rejected by an old table.
"""

import datetime

import numpy as np

# Status codes shared by both checks.
OK, LENGTH, PATTERN, BAD_DATE, FUTURE_DATE, BAD_PROVINCE, CHECKSUM = 0, 1, 2, 3, 4, 5, 6

PROVINCE_CODES = frozenset(
    ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43",
     "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91")
)  # fmt: skip
ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
ID_CHECK_CHARS = "10X98765432"
_ID_CHECK_POINTS = np.array([ord(c) for c in ID_CHECK_CHARS], dtype=np.int64)
_ID_CHECK_ARRAY = np.array(list(ID_CHECK_CHARS), dtype="U1")
DATE_POWERS = 10 ** np.arange(7, -1, -1, dtype=np.int64)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_USCC_INDEX = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_ALPHABET):
    _USCC_INDEX[ord(_c)] = _i

_PROVINCE_TABLE = np.zeros(100, dtype=bool)
for _p in PROVINCE_CODES:
    _PROVINCE_TABLE[int(_p)] = True


def codepoints(values: np.ndarray, width: int = 18) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-width code point matrix (n x width, uint32; 0 past a value's end) of the values and their lengths,
    without a Python loop per cell."""
    texts = np.asarray(values, dtype=object)
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    fixed = texts.astype(f"U{width}") if len(texts) else np.zeros(0, dtype=f"U{width}")
    return fixed.view(np.uint32).reshape(len(texts), width), lengths


def digit_matrix(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is a digit, digit value or 0) for a code point matrix."""
    offset = points - np.uint32(48)  # wraps around below '0', so one comparison tests the range
    is_digit = offset < 10
    return is_digit, np.where(is_digit, offset, 0).astype(np.int64)


def check_id_numbers(values: np.ndarray, today: datetime.date) -> tuple[np.ndarray, np.ndarray]:
    """Status per 18-character citizen ID number, and the expected check character (for messages).

    Order of findings: LENGTH, PATTERN (not 17 digits + digit/X), BAD_DATE (no such day), FUTURE_DATE,
    BAD_PROVINCE (first two digits are no province), CHECKSUM.
    """
    points, lengths = codepoints(values)
    status = np.full(len(lengths), OK, dtype=np.int8)
    is_digit, digits = digit_matrix(points)
    shaped = is_digit[:, :17].all(axis=1) & (is_digit[:, 17] | (points[:, 17] == ord("X")))
    birth = digits[:, 6:14] @ DATE_POWERS
    year, month, day = birth // 10000, birth // 100 % 100, birth % 100
    real_day = (year >= 1800) & (month >= 1) & (month <= 12) & (day >= 1) & (day <= days_in_month(year, month))
    future = birth > today.year * 10000 + today.month * 100 + today.day
    province_ok = _PROVINCE_TABLE[digits[:, 0] * 10 + digits[:, 1]]
    remainders = (digits[:, :17] @ ID_WEIGHTS) % 11
    checksum_ok = points[:, 17] == _ID_CHECK_POINTS[remainders]
    # Later assignments win, so assign from the least to the most basic finding.
    status[~checksum_ok] = CHECKSUM
    status[~province_ok] = BAD_PROVINCE
    status[future] = FUTURE_DATE
    status[~real_day] = BAD_DATE
    status[~shaped] = PATTERN
    status[lengths != 18] = LENGTH
    return status, _ID_CHECK_ARRAY[remainders]


def days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    """Days of each month (month outside 1-12 gives 31; callers check the month)."""
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days = np.array([31, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[np.clip(month, 0, 12)]
    return np.where((month == 2) & leap, 29, days)


def id_birth_numbers(values: np.ndarray) -> np.ndarray:
    """YYYYMMDD (as an integer) of the birth date inside each (valid) ID number, for comparing whole columns."""
    points, _ = codepoints(values)
    return digit_matrix(points)[1][:, 6:14] @ DATE_POWERS


def iso_date_numbers(values: np.ndarray) -> np.ndarray:
    """YYYYMMDD (as an integer) of each 'YYYY-MM-DD' text."""
    points, _ = codepoints(values, width=10)
    return digit_matrix(points)[1][:, [0, 1, 2, 3, 5, 6, 8, 9]] @ DATE_POWERS


def id_birth_dates(values: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' of the birth date inside each (valid) ID number."""
    texts = np.asarray(values, dtype="U18")
    return np.char.add(
        np.char.add(np.char.add(_slice(texts, 6, 10), "-"), np.char.add(_slice(texts, 10, 12), "-")),
        _slice(texts, 12, 14),
    )


def id_sex_codes(values: np.ndarray) -> np.ndarray:
    """GB/T 2261.1 sex code implied by each (valid) ID number: 17th digit odd = "1" (男), even = "2" (女)."""
    points, _ = codepoints(values)
    return np.where((points[:, 16] - 48) % 2 == 1, "1", "2")


def _slice(texts: np.ndarray, start: int, stop: int) -> np.ndarray:
    width = texts.dtype.itemsize // 4
    if not len(texts):
        return np.zeros(0, dtype=f"U{stop - start}")
    chars = texts.view("U1").reshape(len(texts), width)[:, start:stop]
    return np.ascontiguousarray(chars).view(f"U{stop - start}").reshape(len(texts))


def check_usccs(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Status per unified social credit code (GB 32100) and the expected check character.

    LENGTH: not 18 characters; PATTERN: characters 3-8 not digits, or a character outside the GB 32100 set
    (no I, O, S, V, Z); CHECKSUM: wrong check character. The first two characters (registering authority and
    entity type) may be letters of the set (e.g. N2 for rural collective organisations), unlike stdnum's digits.
    """
    points, lengths = codepoints(values)
    n = len(lengths)
    status = np.full(n, OK, dtype=np.int8)
    index = _USCC_INDEX[np.clip(points, 0, 127)]
    index[points > 127] = -1
    in_set = (index >= 0).all(axis=1)
    region_digits = ((points[:, 2:8] >= 48) & (points[:, 2:8] <= 57)).all(axis=1)
    expected_index = (31 - (np.clip(index[:, :17], 0, None) * USCC_WEIGHTS).sum(axis=1) % 31) % 31
    alphabet = np.array(list(USCC_ALPHABET), dtype="U1")
    status[index[:, 17] != expected_index] = CHECKSUM
    status[~(in_set & region_digits)] = PATTERN
    status[lengths != 18] = LENGTH
    return status, alphabet[expected_index] if n else np.zeros(0, dtype="U1")
