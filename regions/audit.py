"""The audit trail: every state change of the platform is written by the action itself with `record_event`.

The action (a plain domain function taking `acting_user=`) calls `record_event(verb, actor=acting_user, obj=...,
region=..., before=..., after=...)` inside its own transaction, so the event exists exactly when the change does.
No signals: what is recorded is readable at the call site. The actor is a user, an API client (sharing's
ClientPrincipal or ApiClient), the command line (a management command run inside `command_line(...)`, see
AuditedCommand: the OS user and the command), or the background worker (no user). Summaries and labels never hold
a personal identifier: strings shaped like an ID number or a mobile number are masked before they are stored.
"""

import contextvars
import getpass
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand
from django.db import models

from .choices import ActorKind, AuditVerb, RegionLevel
from .models import AuditEvent, Region

# ID numbers (18 characters, or 15 digits) and mainland mobile numbers, wherever they occur in a string. Region codes
# are 4, 6, 9, 12 or 15 digits: a 15-digit grid code is masked too when it stands alone in free text (never in the
# region column), a price paid for never keeping an old-style ID number.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_COMMAND = contextvars.ContextVar("audit_command", default=None)
_MAX_TEXT = 500
_BASE_OPTIONS = {"verbosity", "settings", "pythonpath", "traceback", "no_color", "force_color", "skip_checks",
                 "stdout", "stderr"}  # fmt: skip


def scrub(value: Any) -> Any:
    """`value` (JSON-like) with every ID-number-shaped or mobile-number-shaped string masked."""
    if isinstance(value, str):
        return _PHONE.sub(r"\1****\2", _ID_NUMBER.sub(r"\1********\2", value))
    if isinstance(value, dict):
        return {str(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(v) for v in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return scrub(str(value))


@contextmanager
def command_line(argv: list[str] | tuple[str, ...]) -> Iterator[None]:
    """Inside this block events are written with the command line as (part of) the actor: the OS user and `argv`."""
    token = _COMMAND.set(scrub(" ".join(str(a) for a in argv))[:_MAX_TEXT])
    try:
        yield
    finally:
        _COMMAND.reset(token)


class AuditedCommand(BaseCommand):
    """A management command whose state changes are recorded as done from the command line (by the OS user, with
    the command as typed, or as called through call_command)."""

    def execute(self, *args, **options):
        name = type(self).__module__.rsplit(".", 1)[-1]
        if sys.argv[1:2] == [name]:
            argv = sys.argv  # run as `manage.py <name> ...`: the command line as typed
        else:  # call_command: the options given, as the parser named them
            parser = self.create_parser("manage.py", name)
            given = {
                k: v for k, v in options.items()
                if k not in _BASE_OPTIONS and v not in (None, False, "", []) and v != parser.get_default(k)
            }  # fmt: skip
            argv = ["manage.py", name, *map(str, args), *(f"--{k}={v}" for k, v in given.items())]
        with command_line(argv):
            return super().execute(*args, **options)


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in a container without a passwd entry
        return "unknown"


def _actor(actor) -> dict:
    """The actor columns of an event for a user, an API client (principal or model), or nobody."""
    command = _COMMAND.get()
    cli = {"command": command} if command else {}
    client = getattr(actor, "api_client", None)
    if client is None and type(actor).__name__ == "ApiClient":
        client = actor
    if client is not None:
        return {"actor_kind": ActorKind.CLIENT, "actor_client_id": client.pk, "actor_label": client.name[:150]}
    if getattr(actor, "pk", None) is not None:
        return {"actor_kind": ActorKind.USER, "actor_user_id": actor.pk, "actor_label": actor.get_username(), **cli}
    if command:
        return {"actor_kind": ActorKind.CLI, "actor_label": f"{os_user()}（命令行）"[:150], **cli}
    return {"actor_kind": ActorKind.SYSTEM, "actor_label": "后台任务"}


def _object(obj, object_type: str, object_id, label: str) -> dict:
    """Type, id and label of the object acted on; the label defaults to the model's name and id (never str(obj),
    which may hold a person's name or ID number)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id in (None, "") else object_id
        label = label or f"{obj._meta.verbose_name} {obj.pk}"
    return {
        "object_type": object_type[:60],
        "object_id": "" if object_id is None else str(object_id)[:64],
        "object_label": scrub(label)[:200],
    }


_root_cache: dict[str, str | None] = {}


def platform_region() -> str | None:
    """The code of the top of the region tree (the city), where platform-wide changes are recorded."""
    if "code" not in _root_cache:
        codes = list(Region.objects.filter(level=RegionLevel.CITY).values_list("code", flat=True)[:2])
        if len(codes) != 1:
            return None  # no tree loaded yet, or several cities: platform-wide events stay region-less
        _root_cache["code"] = codes[0]
    return _root_cache["code"]


def _region_code(region) -> str | None:
    if region is None or region == "":
        return platform_region()
    return region.pk if isinstance(region, models.Model) else str(region)


def record_event(
    verb: str,
    *,
    actor,
    obj: models.Model | None = None,
    region=None,
    before: Any = None,
    after: Any = None,
    note: str = "",
    object_type: str = "",
    object_id: Any = None,
    label: str = "",
) -> AuditEvent:
    """Write one audit event of `verb` done by `actor` (a user, an API client, or None: the command line or the
    worker) on `obj` (or object_type/object_id), in `region` (a code or Region; None: platform-wide, recorded at
    the city). `before`/`after` are small JSON summaries (counts, statuses, keys of items), masked on the way in."""
    return AuditEvent.objects.create(
        **_actor(actor),
        verb=verb,
        **_object(obj, object_type, object_id, label),
        region_id=_region_code(region),
        before=scrub(before),
        after=scrub(after),
        note=scrub(note or "")[:_MAX_TEXT],
    )


def record_reveal(actor, obj: models.Model, *, region, items, reason: str, object_id: Any = None) -> AuditEvent:
    """The hook for showing a person's personal items in clear (a 查看明文 with a reason, a download with clear
    values): one REVEAL event naming the items shown and the reason, never the values. `object_id`: the record's or
    entity's opaque id when it has one (Entity.public_id), so the trail never carries a database id to guess from.
    The personal-data access log (sharing) says in detail what was read; this event puts the reveal into the one
    trail of who did what."""
    return record_event(
        AuditVerb.REVEAL, actor=actor, obj=obj, object_id=object_id, region=region,
        label=f"{obj._meta.verbose_name} {object_id or obj.pk}", after={"items": sorted(items)}, note=reason,
    )  # fmt: skip
