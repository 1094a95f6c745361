"""Loading rules and feedback facts from fixtures/rules/ (`manage.py load_rules`), idempotently.

Every file is checked before anything is saved: one invalid rule stops the load with all problems listed (Chinese,
each naming its file). A rule whose current version was edited in the web UI is not overwritten by its file unless
`force` is given: the web edit is newer than the file.
"""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog.specs_build import current_specs
from grassroots.definitions import DefinitionSourceError, LoadResult, load_one, parse_files, read_yaml

from .choices import VersionSource
from .definition import RuleInvalid, parse_rule
from .models import Fact, Rule
from .rulebook import save_rule

RULES_DIR = Path(settings.BASE_DIR) / "fixtures" / "rules"
FACTS_FILE = "facts.yaml"
FACT_FIELDS = ("label", "correction_subcategory", "ask_items", "order")


class RuleSourceError(DefinitionSourceError):
    """The rule files cannot be loaded; `errors` lists every problem in Chinese."""


def _fact_rows(data, specs) -> tuple[list[dict], list[str]]:
    rows, errors = [], []
    entries = data.get("facts") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        return [], [f"{FACTS_FILE}：应有 facts 列表"]
    for order, entry in enumerate(entries):
        code, label = str(entry.get("code", "")), str(entry.get("label", ""))
        correction = entry.get("correction") or {}
        target, ask = str(correction.get("subcategory", "")), list(correction.get("ask", []))
        if not code or not label:
            errors.append(f"{FACTS_FILE} 第 {order + 1} 项：code 和 label 必填")
        if target and target != Fact.SUBJECT and target not in specs:
            errors.append(f"{FACTS_FILE} {code}：更正子类 {target} 不在数据目录中")
        elif target and target != Fact.SUBJECT:
            missing = [a for a in ask if a not in {i.key for i in specs[target].items}]
            errors.extend(f"{FACTS_FILE} {code}：子类 {target} 没有数据项 {m}" for m in missing)
        rows.append({"code": code, "label": label, "correction_subcategory": target, "ask_items": ask, "order": order})
    return rows, errors


def _save_facts(rows: list[dict]) -> int:
    changed = 0
    for row in rows:
        fact = Fact.objects.filter(code=row["code"]).first()
        if fact is None:
            Fact.objects.create(**row)
            changed += 1
        elif any(getattr(fact, k) != row[k] for k in FACT_FIELDS):
            for k in FACT_FIELDS:
                setattr(fact, k, row[k])
            fact.save()
            changed += 1
    return changed


def load_rules(directory: Path = RULES_DIR, *, force: bool = False) -> LoadResult:
    """Load facts.yaml and every other *.yaml under `directory` (one rule per file); see the module docstring."""
    specs = current_specs()
    if not specs:
        raise RuleSourceError(["数据目录尚未加载，请先运行 manage.py load_catalog"])
    fact_rows, errors = _fact_rows(read_yaml(directory / FACTS_FILE, RuleSourceError), specs)
    fact_codes = [row["code"] for row in fact_rows]
    definitions, more = parse_files(
        sorted(p for p in directory.glob("*.yaml") if p.name != FACTS_FILE),
        lambda data: parse_rule(data, specs=specs, facts=fact_codes),
        invalid=RuleInvalid, error=RuleSourceError, noun="规则",
    )  # fmt: skip
    errors.extend(more)
    if errors:
        raise RuleSourceError(errors)
    result = LoadResult()
    with transaction.atomic():
        result.facts_changed = _save_facts(fact_rows)
        for name, definition in definitions:
            load_one(result, Rule, definition, _save_from_file, web=VersionSource.WEB, force=force,
                     note=f"规则文件 {name}")  # fmt: skip
    return result


def _save_from_file(definition, *, note: str):
    return save_rule(definition, source=VersionSource.FILE, note=note)
