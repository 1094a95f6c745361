"""Loading rules and feedback facts from fixtures/rules/ (`manage.py load_rules`), idempotently.

Every file is checked before anything is saved: one invalid rule stops the load with all problems listed (Chinese,
each naming its file). A rule whose current version was edited in the web UI is not overwritten by its file unless
`force` is given: the web edit is newer than the file.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from django.conf import settings
from django.db import transaction

from catalog.specs_build import current_specs

from .choices import VersionSource
from .definition import RuleInvalid, parse_rule
from .models import Fact, Rule
from .rulebook import last_source, save_rule

RULES_DIR = Path(settings.BASE_DIR) / "fixtures" / "rules"
FACTS_FILE = "facts.yaml"
FACT_FIELDS = ("label", "correction_subcategory", "ask_items", "order")


class RuleSourceError(Exception):
    """The rule files cannot be loaded; `errors` lists every problem in Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_web_edits: list[str] = field(default_factory=list)
    facts_changed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.facts_changed)


def plain(value):
    """YAML's dates (an unquoted 2025-01-01) as ISO text, recursively, so definitions are plain JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value


def read_yaml(path: Path):
    try:
        return plain(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise RuleSourceError([f"{path.name}：YAML 格式错误{where}（{getattr(exc, 'problem', '') or exc}）"]) from exc


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
    fact_rows, errors = _fact_rows(read_yaml(directory / FACTS_FILE), specs)
    fact_codes = [row["code"] for row in fact_rows]
    definitions = []
    for path in sorted(p for p in directory.glob("*.yaml") if p.name != FACTS_FILE):
        try:
            definitions.append((path.name, parse_rule(read_yaml(path), specs=specs, facts=fact_codes)))
        except RuleInvalid as exc:
            errors.extend(f"{path.name}：{e}" for e in exc.errors)
        except RuleSourceError as exc:
            errors.extend(exc.errors)
    codes = [d.code for _n, d in definitions]
    errors.extend(f"规则代码 {c} 在多个文件中出现" for c in sorted({c for c in codes if codes.count(c) > 1}))
    if errors:
        raise RuleSourceError(errors)
    result = LoadResult()
    with transaction.atomic():
        result.facts_changed = _save_facts(fact_rows)
        for name, definition in definitions:
            _load_one(result, name, definition, force)
    return result


def _load_one(result: LoadResult, name: str, definition, force: bool) -> None:
    existing = Rule.objects.filter(code=definition.code).first()
    edited_on_the_web = existing is not None and last_source(existing) == VersionSource.WEB
    if edited_on_the_web and not force and existing.definition != definition.data:
        result.kept_web_edits.append(definition.code)
        return
    saved = save_rule(definition, source=VersionSource.FILE, note=f"规则文件 {name}")
    bucket = result.created if saved.created else result.updated if saved.changed else result.unchanged
    bucket.append(definition.code)
