"""GB 11643 citizen IDs and GB 32100 credit codes, checked column-wise: compared with python-stdnum (the reference)
on generated valid and corrupted numbers, plus the cases where we deliberately differ from it."""

import datetime

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from stdnum.cn import ric, uscc

from collection.pipeline import idnumbers
from collection.pipeline.idnumbers import USCC_ALPHABET, check_id_numbers, check_usccs

TODAY = datetime.date(2025, 1, 1)
ID_CHARS = "0123456789X"


def with_id_check(body: str) -> str:
    return body + ric.calc_check_digit(body + "0")  # stdnum ignores the last character of its argument


def with_uscc_check(body: str) -> str:
    return body + uscc.calc_check_digit(body)


def id_status(number: str) -> int:
    return int(check_id_numbers(np.array([number], dtype=object), TODAY)[0][0])


def uscc_status(number: str) -> int:
    return int(check_usccs(np.array([number], dtype=object))[0][0])


def stdnum_id_verdict(number: str) -> bool | None:
    """stdnum's verdict, or None where it cannot judge (area unknown to its table: KeyError/InvalidComponent)."""
    try:
        ric.validate(number)
        return True
    except (stdnum_errors.InvalidLength, stdnum_errors.InvalidFormat, stdnum_errors.InvalidChecksum):
        return False
    except stdnum_errors.InvalidComponent:
        try:
            ric.get_birth_date(number)
        except stdnum_errors.InvalidComponent:
            return False
        return None
    except KeyError:
        return None


# Areas stdnum knows (so its verdict is comparable) and dates it accepts.
KNOWN_AREAS = ["110101", "110102", "120101", "210224", "340421", "370602", "370611", "370682", "440305", "650102"]
birth_dates = st.dates(min_value=datetime.date(1950, 1, 1), max_value=TODAY)
valid_ids = st.builds(
    lambda area, born, seq: with_id_check(f"{area}{born:%Y%m%d}{seq:03d}"),
    st.sampled_from(KNOWN_AREAS),
    birth_dates,
    st.integers(0, 999),
)


@st.composite
def corrupted(draw, numbers, alphabet: str):
    """A number with one typical typing error: a changed, dropped, doubled or swapped character."""
    number = draw(numbers)
    position = draw(st.integers(0, len(number) - 1))
    how = draw(st.sampled_from(["change", "drop", "double", "swap", "letter"]))
    if how == "change":
        return number[:position] + draw(st.sampled_from(alphabet)) + number[position + 1 :]
    if how == "drop":
        return number[:position] + number[position + 1 :]
    if how == "double":
        return number[:position] + number[position] + number[position:]
    if how == "letter":
        return number[:position] + draw(st.sampled_from("OIlZ")) + number[position + 1 :]
    position = min(position, len(number) - 2)
    return number[:position] + number[position + 1] + number[position] + number[position + 2 :]


def comparable_date(number: str) -> bool:
    """stdnum accepts any calendar date (year 0001, the future); we do not, so compare only where both could."""
    try:
        born = ric.get_birth_date(number)
    except (stdnum_errors.InvalidComponent, ValueError):
        return True
    return datetime.date(1800, 1, 1) <= born <= TODAY


@settings(max_examples=300, deadline=None)
@given(valid_ids)
def test_generated_valid_ids_pass_like_stdnum(number):
    # None: stdnum's table says the county did not exist yet in the birth year (370602 dates from 1983), a
    # limitation of the table, not of the number.
    assert stdnum_id_verdict(number) is not False
    assert id_status(number) == idnumbers.OK


@settings(max_examples=600, deadline=None)
@given(corrupted(valid_ids, ID_CHARS))
def test_corrupted_ids_get_the_same_verdict_as_stdnum(number):
    verdict = stdnum_id_verdict(number)
    assume(verdict is not None and comparable_date(number))
    assert (id_status(number.upper()) == idnumbers.OK) is verdict


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(valid_ids, corrupted(valid_ids, ID_CHARS)), min_size=1, max_size=40))
def test_a_column_gets_the_same_verdicts_as_its_cells_one_by_one(numbers):
    column, _ = check_id_numbers(np.array(numbers, dtype=object), TODAY)
    assert list(column) == [id_status(n) for n in numbers]


def test_a_newer_area_code_unknown_to_stdnum_passes():
    number = with_id_check("33011319900101123")  # 330113 临平区, created 2021
    with pytest.raises((KeyError, stdnum_errors.InvalidComponent)):
        ric.validate(number)
    assert id_status(number) == idnumbers.OK


def test_an_unknown_province_is_a_pattern_finding():
    assert id_status(with_id_check("99011319900101123")) == idnumbers.BAD_PROVINCE


@pytest.mark.parametrize(
    ("number", "status"),
    [
        ("37060219900230123", idnumbers.BAD_DATE),  # 30 February
        ("37060219000229123", idnumbers.BAD_DATE),  # 1900 was no leap year
        ("37060220000229123", idnumbers.OK),  # 2000 was
        ("37060220880101123", idnumbers.FUTURE_DATE),
    ],
)
def test_the_birth_date_inside_the_number_must_exist_and_be_past(number, status):
    assert id_status(with_id_check(number)) == status


def test_length_and_shape_findings():
    assert id_status("37060220190106751") == idnumbers.LENGTH
    assert id_status("2102241941O8114229") == idnumbers.PATTERN
    assert id_status("37060219900101123x") == idnumbers.PATTERN  # upper-casing is the normaliser's job


def test_the_expected_check_character_is_returned_for_messages():
    _, expected = check_id_numbers(np.array(["120101195901154750"], dtype=object), TODAY)
    assert expected[0] == ric.calc_check_digit("120101195901154750")


def test_birth_dates_and_sex_codes_are_read_from_the_number():
    numbers = np.array(["37060220130313412X", "222401195709185975"], dtype=object)
    assert list(idnumbers.id_birth_dates(numbers)) == ["2013-03-13", "1957-09-18"]
    assert list(idnumbers.id_sex_codes(numbers)) == ["2", "1"]


# --- USCC ---------------------------------------------------------------------------------------------------------

valid_usccs = st.builds(
    lambda head, region, org: with_uscc_check(f"{head}{region:06d}{org}"),
    st.sampled_from(["91", "92", "93", "11", "12", "51", "52", "31"]),
    st.integers(110000, 659999),
    st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9),
)


@settings(max_examples=300, deadline=None)
@given(valid_usccs)
def test_generated_valid_usccs_pass_like_stdnum(code):
    assert uscc.is_valid(code)
    assert uscc_status(code) == idnumbers.OK


@settings(max_examples=600, deadline=None)
@given(corrupted(valid_usccs, USCC_ALPHABET + "IOSVZ"))
def test_corrupted_usccs_get_the_same_verdict_as_stdnum(code):
    assume(code[:2].isdigit())  # stdnum wants digits there; GB 32100 also allows letters (see below)
    assert (uscc_status(code.upper()) == idnumbers.OK) is uscc.is_valid(code)  # upper-casing is the normaliser's


def test_a_uscc_with_a_letter_authority_code_passes():
    code = with_uscc_check("N2370602MA3C4D5E6")  # 农村集体经济组织 codes start with N
    assert not uscc.is_valid(code)
    assert uscc_status(code) == idnumbers.OK


def test_uscc_findings():
    assert uscc_status("91370602520520173") == idnumbers.LENGTH
    assert uscc_status("91370602MA55M35M01") == idnumbers.CHECKSUM
    assert uscc_status("91370602MA55M3OM01") == idnumbers.PATTERN  # letter O is not in the set
    assert uscc_status("9137A602MA55M35M01") == idnumbers.PATTERN  # region part must be digits
