"""Clear personal values handed out by the apps below sharing (issue 11 item 8's exception): a township's own batch's
annotated workbook and invalid rows (collection), the 核对表 of its records (basedb). They are written to the same
personal-data access log as the sharing API's reads, which sharing owns.

Dependencies run one way (collection and basedb never import sharing), so sharing registers the writer here in its
AppConfig.ready() (sharing/apps.py). Recording before anything is registered raises: a download of clear values
must never go out unlogged because an app is missing.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Disclosure:
    """One download of clear personal values by a web or API user: whose data (region), what (endpoint and
    params), why (reason), how many rows, and the keys of the people in it (hashed by the writer, never stored)."""

    user: object
    region: str
    endpoint: str
    reason: str
    records: int
    keys: Iterable[str] = ()
    params: dict = field(default_factory=dict)


_writer: Callable[[Disclosure], None] | None = None


def register_writer(writer: Callable[[Disclosure], None]) -> None:
    """Called once by the app that keeps the personal-data access log (sharing) at start-up."""
    global _writer
    _writer = writer


def record_disclosure(disclosure: Disclosure) -> None:
    """Write `disclosure` to the personal-data access log; ImproperlyConfigured when no log is registered."""
    if _writer is None:
        raise ImproperlyConfigured("No access log registered with regions.disclosure: is sharing installed?")
    _writer(disclosure)
