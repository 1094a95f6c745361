"""Saving report forms: every change of a form's definition is a new ReportFormVersion (the whole definition, who,
when, which fields changed), whether it comes from a file (load_reports) or the web editor. Unchanged content writes
nothing, so loading the same files again is a no-op."""

from django.db import transaction

from catalog.specs_build import current_specs
from grassroots.definitions import Saved, as_yaml, change_summary, save_version
from regions.audit import record_event
from regions.choices import AuditVerb

from .definition import FormDefinition, FormInvalid, parse_form
from .models import ReportForm

__all__ = ["as_yaml", "definition_of", "save_form", "usable_definition"]


@transaction.atomic
def save_form(definition: FormDefinition, *, source: str, acting_user=None, note: str = "") -> Saved:
    """Create the form or give it a new version when its content changed; returns what happened (`saved.obj` is
    the form). The versions are the form's audit trail: who (acting_user), when, the note and the diff."""

    def apply(form: ReportForm) -> None:
        form.title, form.department, form.is_active = definition.title, definition.department, definition.active

    saved = save_version(
        ReportForm, definition.code, definition.data, apply, source=source, acting_user=acting_user, note=note
    )
    if not saved.changed:
        return saved
    form = saved.obj
    record_event(
        AuditVerb.CHANGE_REPORT_FORM,
        actor=acting_user,
        obj=form,
        label=f"报表 {form.code} {form.title}",
        note=note,
        **change_summary(saved, source),
    )
    return saved


def definition_of(form: ReportForm, data: dict | None = None) -> FormDefinition:
    """The form's stored definition (or `data`, e.g. an older version's) checked against today's catalog
    (FormInvalid if the catalog moved under it)."""
    return parse_form(form.definition if data is None else data, specs=current_specs())


def usable_definition(form: ReportForm) -> FormDefinition | None:
    try:
        return definition_of(form)
    except FormInvalid:
        return None
