"""Saving rules: every change of a rule's definition is a new RuleVersion (the whole definition, who, when, and
which fields changed), whether it comes from a file (load_rules) or the web editor. Unchanged content writes
nothing, so loading the same files again is a no-op."""

import hashlib
import json
from dataclasses import dataclass

import yaml
from django.db import transaction

from catalog.models import Subcategory
from regions.audit import record_event
from regions.choices import AuditVerb

from .choices import VersionSource
from .definition import RuleDefinition
from .models import Rule, RuleVersion


def content_hash(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def diff_definitions(old: dict, new: dict) -> dict[str, list]:
    """The top-level fields whose value differs, as {field: [old, new]}."""
    keys = [*old, *(k for k in new if k not in old)]
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def as_yaml(data: dict) -> str:
    """A definition as the YAML a rule writer reads and edits (keys in the documented order)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


@dataclass
class Saved:
    rule: Rule
    created: bool
    changed: bool


@transaction.atomic
def save_rule(definition: RuleDefinition, *, source: str, acting_user=None, note: str = "") -> Saved:
    """Create the rule or give it a new version when its content changed; returns what happened.

    The audit trail of rule changes is the versions themselves: who (acting_user), when, the note and the diff."""
    data = definition.data
    digest = content_hash(data)
    rule = Rule.objects.select_for_update().filter(code=definition.code).first()
    if rule is not None and rule.versions.filter(version=rule.version, content_hash=digest).exists():
        return Saved(rule, created=False, changed=False)
    created = rule is None
    previous = {} if created else rule.definition
    rule = rule or Rule(code=definition.code, version=0)
    rule.name, rule.department, rule.basis = definition.name, definition.department, definition.basis
    rule.description, rule.definition = definition.description, data
    rule.subject = Subcategory.objects.get(code=definition.subject)
    rule.deadline_days, rule.is_active = definition.deadline_days, definition.active
    rule.version += 1
    rule.save()
    RuleVersion.objects.create(
        rule=rule, version=rule.version, definition=data, content_hash=digest, source=source,
        changes={} if created else diff_definitions(previous, data), acting_user=acting_user, note=note[:500],
    )  # fmt: skip
    # City-wide data: recorded at the top region; the version's own diff stays with the rule (its history page).
    record_event(AuditVerb.CHANGE_RULE, actor=acting_user, obj=rule, label=f"规则 {rule.code} {rule.name}",
                 before=None if created else {"version": rule.version - 1},
                 after={"version": rule.version, "source": source, "changed": sorted(diff_definitions(previous, data)),
                        "active": rule.is_active}, note=note)  # fmt: skip
    return Saved(rule, created=created, changed=True)


def last_source(rule: Rule) -> str:
    return rule.versions.filter(version=rule.version).values_list("source", flat=True).first() or VersionSource.FILE
