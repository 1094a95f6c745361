"""The one text normalisation (grassroots/text.py): settled (applying it twice changes nothing) and equal to the
three copies it replaced (intake's lookup_key, catalog's normalize_code_text, basedb's duplicate normalise, sharing's
normalize_key) wherever those were themselves settled."""

import re
import unicodedata

from hypothesis import assume, example, given
from hypothesis import strategies as st

from grassroots.text import compact, entity_key, lookup_key

# Typed text: CJK, full-width forms, every kind of space, combining marks, Latin, digits.
written = st.text(
    st.one_of(
        st.characters(codec="utf-8", exclude_categories=("Cs",)),
        st.sampled_from("０１２３ＡＢＣａｂｃ\u3000\u00a0\u200b \t\n男女是否１号ⅫＸｘ¨\u0301"),
    ),
    max_size=20,
)


def old_lookup_key(value: str) -> str:  # collection.pipeline.normalize.lookup_key and catalog's normalize_code_text
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).lower()


def old_duplicate_normalise(text) -> str:  # basedb.duplicates.normalise
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).lower()


def old_normalize_key(raw) -> str:  # sharing.reads.normalize_key
    return unicodedata.normalize("NFKC", str(raw)).strip().upper()


def old_compact(text: str) -> str:  # the first half of collection.pipeline.recognise.normalise_header
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text)))


@given(written)
@example(" 男\u3000性 ")
@example("e \u0301")  # removing the space lets NFKC compose é: settled, unlike the old copies
@example("¨")  # NFKC gives a space and a combining mark
def test_every_normalisation_is_settled(text):
    for normalise in (compact, lookup_key, entity_key):
        assert normalise(normalise(text)) == normalise(text)


@given(written)
def test_lookup_key_equals_the_old_copies_where_they_were_settled(text):
    assume(old_lookup_key(old_lookup_key(text)) == old_lookup_key(text))
    assert lookup_key(text) == old_lookup_key(text) == old_duplicate_normalise(text)


@given(written)
def test_entity_key_equals_sharings_old_key_normalisation_where_it_was_settled(text):
    assume(old_normalize_key(old_normalize_key(text)) == old_normalize_key(text))
    assert entity_key(text) == old_normalize_key(text)


@given(written)
def test_compact_equals_the_old_header_normalisation_where_it_was_settled(text):
    assume(old_compact(old_compact(text)) == old_compact(text))
    assert compact(text) == old_compact(text)


def test_written_forms_meet_in_one_key():
    assert lookup_key("ＡＢ c") == lookup_key("ab\u3000C") == "abc"
    assert entity_key(" 37060219900101123x ") == "37060219900101123X"
    assert compact("身份证 号码") == "身份证号码"
