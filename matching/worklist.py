"""Reading work lists: entries in a user's scope, counts per township for a department, and entries as a page or
an export shows them (masked, with their reason). Scoping goes through regions.access like every other list."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Count, Q
from django.utils import timezone

from catalog.spec import PERSON_NAME_ROLE
from catalog.specs_build import current_specs
from regions.choices import Action
from regions.models import Region, prefix_bounds
from sharing.masking import OMIT, mask_value

from .choices import EntryStatus
from .definition import RuleDefinition, RuleInvalid, parse_rule
from .models import Fact, Rule, RuleVersion, WorkEntry
from .reasons import HIDDEN, Explainer

OPEN, CLOSED, ALL = "open", "closed", "all"
STATES = {OPEN: "在册", CLOSED: "已关闭", ALL: "全部"}


def scoped_entries(user, action: str = Action.VIEW):
    """Entries of the regions `user` may `action` (the single access decision)."""
    return WorkEntry.objects.restrict(user, action)


def rules_for(user):
    """Rules whose work lists the user may read. A department user (once departments exist) sees its own rules;
    everyone else reads every rule's entries of their own regions."""
    return Rule.objects.all()


def work_list(user, rule: Rule, *, region: str = "", status: str = "", state: str = OPEN):
    """The rule's entries the user may see, filtered by township, status and open/closed; pending and oldest first."""
    entries = scoped_entries(user).filter(rule=rule)
    if region:
        low, high = prefix_bounds(region)
        entries = entries.filter(place_id__gte=low, place_id__lt=high)
    if status in EntryStatus.values:
        entries = entries.filter(status=status)
    if state == OPEN:
        entries = entries.filter(closed_at__isnull=True)
    elif state == CLOSED:
        entries = entries.filter(closed_at__isnull=False)
    return entries.select_related("entity", "record", "region", "fact", "handled_by", "rule_version").order_by(
        "closed_at", "status", "region_id", "id"
    )


@dataclass
class TownshipCounts:
    """A township's entries of one rule: open (在册) by status, handled, overdue (待核实 past the deadline), closed."""

    region: str
    name: str = ""
    open: int = 0
    pending: int = 0
    confirmed: int = 0
    refuted: int = 0
    done: int = 0
    overdue: int = 0
    closed: int = 0

    @property
    def handled(self) -> int:
        return self.confirmed + self.refuted + self.done


def township_counts(user, rule: Rule, *, today=None) -> list[TownshipCounts]:
    """Counts per township of the rule's entries in the user's scope (one grouped query)."""
    now = today or timezone.now()
    late = now - timedelta(days=rule.deadline_days)
    is_open = Q(closed_at__isnull=True)
    rows = (
        scoped_entries(user)
        .filter(rule=rule)
        .values("region_id")
        .annotate(
            open=Count("id", filter=is_open),
            pending=Count("id", filter=is_open & Q(status=EntryStatus.PENDING)),
            confirmed=Count("id", filter=is_open & Q(status=EntryStatus.CONFIRMED)),
            refuted=Count("id", filter=is_open & Q(status=EntryStatus.REFUTED)),
            done=Count("id", filter=is_open & Q(status=EntryStatus.DONE)),
            overdue=Count("id", filter=is_open & Q(status=EntryStatus.PENDING, opened_at__lt=late)),
            closed=Count("id", filter=Q(closed_at__isnull=False)),
        )
        .order_by("region_id")
    )
    names = dict(Region.objects.filter(code__in=[r["region_id"] for r in rows]).values_list("code", "name"))
    return [TownshipCounts(name=names.get(r["region_id"], ""), region=r.pop("region_id"), **r) for r in rows]


def totals(rows: list[TownshipCounts]) -> TownshipCounts:
    total = TownshipCounts(region="", name="合计")
    for row in rows:
        for name in ("open", "pending", "confirmed", "refuted", "done", "overdue", "closed"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    return total


@dataclass
class Shown:
    label: str
    text: str


@dataclass
class EntryView:
    """An entry as a page or an export shows it."""

    entry: WorkEntry
    name: str
    key: str
    items: list[Shown] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    @property
    def overdue(self) -> bool:
        e = self.entry
        if e.closed_at is not None or e.status != EntryStatus.PENDING:
            return False
        return e.opened_at < timezone.now() - timedelta(days=e.rule.deadline_days)


class Presenter:
    """Turns entries of one rule into EntryViews: show items and the entity key masked unless `reveal`."""

    def __init__(self, rule: Rule, *, reveal: bool = False, today: date | None = None):
        self.rule = rule
        self.reveal = reveal
        self.today = today
        self.specs = current_specs()
        self.facts = list(Fact.objects.values_list("code", flat=True))
        self._explainers: dict[int, Explainer | None] = {}
        spec = self.specs.get(rule.subject.code)
        self.items = {i.key: i for i in spec.items} if spec else {}
        self.name_keys = spec.display_name_keys if spec else ()

    def definition(self, version: RuleVersion) -> RuleDefinition | None:
        for data in (version.definition, self.rule.definition):
            try:
                return parse_rule(data, specs=self.specs, facts=self.facts)
            except RuleInvalid:
                continue
        return None

    def explainer(self, version: RuleVersion) -> Explainer | None:
        if version.pk not in self._explainers:
            definition = self.definition(version)
            self._explainers[version.pk] = definition and Explainer(definition, reveal=self.reveal, today=self.today)
        return self._explainers[version.pk]

    def value(self, key: str, value) -> str:
        if value is None or value == "":
            return "—"
        item = self.items.get(key)
        if item is None:
            return str(value)
        if item.sensitivity == "personal" and not self.reveal:
            masked = mask_value(
                key, item.type, value, key_type=item.key_type, person_name=PERSON_NAME_ROLE in item.roles
            )
            return HIDDEN if masked is OMIT else str(masked)
        if isinstance(value, bool):
            return "是" if value else "否"
        if item.code_table is not None:
            return item.code_table.labels.get(str(value), str(value))
        return str(value)

    def show_keys(self) -> list[str]:
        return list(self.rule.definition.get("show") or ["name"])

    def labels(self) -> list[str]:
        return [self.items[k].name if k in self.items else k for k in self.show_keys()]

    def view(self, entry: WorkEntry) -> EntryView:
        values = entry.record.values if entry.record_id and entry.record else {}
        pairs = zip(self.show_keys(), self.labels(), strict=True)
        items = [Shown(label, self.value(k, values.get(k))) for k, label in pairs]
        explainer = self.explainer(entry.rule_version)
        reasons = explainer.lines(entry.facts) if explainer else []
        key = self.value("id_number", entry.entity.key) if "id_number" in self.items else entry.entity.key
        # The entry's record names the person (as its township typed it): the entity's display name comes from the
        # township that reported it first, which may be outside the user's region.
        name = next((str(values[k]) for k in self.name_keys if values.get(k)), "")
        return EntryView(entry, name or key, key, items, reasons)
