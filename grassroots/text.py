"""Text normalisation shared by every app: the forms in which written values, headers and keys compare.

People type the same thing many ways: full-width digits and letters (１２３, ＡＢＣ), ideographic spaces, spaces inside
a code, upper or lower case. NFKC folds the compatibility forms; then whitespace goes and the case is fixed. One step
is not always enough: NFKC turns some characters into a space plus a combining mark (¨ -> " \u0308"), and removing
a space can bring a combining mark next to a letter that NFKC then composes, so every function here repeats its step
until the text no longer changes: applying it twice gives what applying it once gives.
"""

import re
import unicodedata
from collections.abc import Callable

_WHITESPACE = re.compile(r"\s+")


def _settled(text: str, step: Callable[[str], str]) -> str:
    """`step` applied until the text stops changing (twice for ordinary text: once to change it, once to see)."""
    for _ in range(8):  # two or three rounds settle any text; the bound only guards against a pathological cycle
        changed = step(text)
        if changed == text:
            break
        text = changed
    return text


def _compact_step(text: str) -> str:
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def compact(text: object) -> str:
    """NFKC with every whitespace character removed: headers and written codes compare so ('身份 证号' = '身份证号')."""
    text = str(text)
    if text.isascii():  # ASCII is already NFKC: only whitespace can go
        return _WHITESPACE.sub("", text)
    if unicodedata.is_normalized("NFKC", text) and not _WHITESPACE.search(text):
        return text  # nothing to fold or remove (most Chinese text): the same result, without the rounds
    return _settled(text, _compact_step)


def lookup_key(text: object) -> str:
    """compact() and lower-case: the key under which a code table holds written forms (男, 1, ０１) and booleans,
    and the form in which probable duplicates compare names and addresses."""
    text = str(text)
    if text.isascii():
        return _WHITESPACE.sub("", text).lower()
    return _settled(text, lambda t: _compact_step(t).lower())


def entity_key(text: object) -> str:
    """NFKC, trimmed, upper-case: a key as the base database stores it (an ID number's x is X). Inner spaces stay:
    composite keys join names and addresses, whose single inner spaces verification keeps."""
    text = str(text)
    if text.isascii():
        return text.strip().upper()
    return _settled(text, lambda t: unicodedata.normalize("NFKC", t).strip().upper())


def mask_id_number(value: str) -> str:
    """370602198001011234 -> 370602********1234: area kept, birth date and sequence hidden (the API's masked form,
    and how the intake pages name a row's person)."""
    if len(value) < 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]
