"""Saving rules: every change of a rule's definition is a new RuleVersion (the whole definition, who, when, and
which fields changed), whether it comes from a file (load_rules) or the web editor. Unchanged content writes
nothing, so loading the same files again is a no-op."""

from django.db import transaction

from catalog.models import Subcategory
from grassroots.definitions import Saved, as_yaml, change_summary, save_version
from regions.audit import record_event
from regions.choices import AuditVerb

from .definition import RuleDefinition
from .models import Rule

__all__ = ["as_yaml", "save_rule"]


@transaction.atomic
def save_rule(definition: RuleDefinition, *, source: str, acting_user=None, note: str = "") -> Saved:
    """Create the rule or give it a new version when its content changed; returns what happened (`saved.obj` is
    the rule). The audit trail of rule changes is the versions themselves: who (acting_user), when, the note and
    the diff."""

    def apply(rule: Rule) -> None:
        rule.name, rule.department, rule.basis = definition.name, definition.department, definition.basis
        rule.description, rule.subject = definition.description, Subcategory.objects.get(code=definition.subject)
        rule.deadline_days, rule.is_active = definition.deadline_days, definition.active

    saved = save_version(
        Rule, definition.code, definition.data, apply, source=source, acting_user=acting_user, note=note
    )
    if not saved.changed:
        return saved
    rule = saved.obj
    # City-wide data: recorded at the top region; the version's own diff stays with the rule (its history page).
    record_event(
        AuditVerb.CHANGE_RULE,
        actor=acting_user,
        obj=rule,
        label=f"规则 {rule.code} {rule.name}",
        note=note,
        **change_summary(saved, source),
    )
    return saved
