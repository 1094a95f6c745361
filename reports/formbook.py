"""Saving report forms: every change of a form's definition is a new ReportFormVersion (the whole definition, who,
when, which fields changed), whether it comes from a file (load_reports) or the web editor. Unchanged content writes
nothing, so loading the same files again is a no-op."""

import hashlib
import json
from dataclasses import dataclass

import yaml
from django.db import transaction

from catalog.specs_build import current_specs
from regions.audit import record_event
from regions.choices import AuditVerb

from .choices import VersionSource
from .definition import FormDefinition, FormInvalid, parse_form
from .models import ReportForm, ReportFormVersion


def content_hash(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def diff_definitions(old: dict, new: dict) -> dict[str, list]:
    """The top-level fields whose value differs, as {field: [old, new]}."""
    keys = [*old, *(k for k in new if k not in old)]
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def as_yaml(data: dict) -> str:
    """A definition as the YAML a form writer reads and edits (keys in the documented order)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@dataclass
class Saved:
    form: ReportForm
    created: bool
    changed: bool


@transaction.atomic
def save_form(definition: FormDefinition, *, source: str, acting_user=None, note: str = "") -> Saved:
    """Create the form or give it a new version when its content changed; returns what happened. The versions are
    the form's audit trail: who (acting_user), when, the note and the diff."""
    data = definition.data
    digest = content_hash(data)
    form = ReportForm.objects.select_for_update().filter(code=definition.code).first()
    if form is not None and form.versions.filter(version=form.version, content_hash=digest).exists():
        return Saved(form, created=False, changed=False)
    created = form is None
    previous = {} if created else form.definition
    form = form or ReportForm(code=definition.code, version=0)
    form.title, form.department, form.definition = definition.title, definition.department, data
    form.is_active = definition.active
    form.version += 1
    form.save()
    ReportFormVersion.objects.create(
        form=form, version=form.version, definition=data, content_hash=digest, source=source,
        changes={} if created else diff_definitions(previous, data), acting_user=acting_user, note=note[:500],
    )  # fmt: skip
    record_event(AuditVerb.CHANGE_REPORT_FORM, actor=acting_user, obj=form, label=f"报表 {form.code} {form.title}",
                 before=None if created else {"version": form.version - 1},
                 after={"version": form.version, "source": source, "changed": sorted(diff_definitions(previous, data)),
                        "active": form.is_active}, note=note)  # fmt: skip
    return Saved(form, created=created, changed=True)


def last_source(form: ReportForm) -> str:
    return form.versions.filter(version=form.version).values_list("source", flat=True).first() or VersionSource.FILE


def definition_of(form: ReportForm, data: dict | None = None) -> FormDefinition:
    """The form's stored definition (or `data`, e.g. an older version's) checked against today's catalog
    (FormInvalid if the catalog moved under it)."""
    return parse_form(form.definition if data is None else data, specs=current_specs())


def usable_definition(form: ReportForm) -> FormDefinition | None:
    try:
        return definition_of(form)
    except FormInvalid:
        return None
