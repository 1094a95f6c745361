"""Loading report forms from fixtures/reports/ (`manage.py load_reports`), idempotently.

Every file is checked before anything is saved: one invalid form stops the load with all problems listed (Chinese,
each naming its file). A form whose current version was edited in the web UI is not overwritten by its file unless
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
from .definition import FormInvalid, parse_form
from .formbook import last_source, save_form
from .models import ReportForm

FORMS_DIR = Path(settings.BASE_DIR) / "fixtures" / "reports"


class FormSourceError(Exception):
    """The form files cannot be loaded; `errors` lists every problem in Chinese."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_web_edits: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


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
        raise FormSourceError([f"{path.name}：YAML 格式错误{where}（{getattr(exc, 'problem', '') or exc}）"]) from exc


def load_reports(directory: Path = FORMS_DIR, *, force: bool = False) -> LoadResult:
    """Load every *.yaml under `directory` (one form per file); see the module docstring."""
    specs = current_specs()
    if not specs:
        raise FormSourceError(["数据目录尚未加载，请先运行 manage.py load_catalog"])
    definitions, errors = [], []
    for path in sorted(directory.glob("*.yaml")):
        try:
            definitions.append((path.name, parse_form(read_yaml(path), specs=specs)))
        except FormInvalid as exc:
            errors.extend(f"{path.name}：{e}" for e in exc.errors)
        except FormSourceError as exc:
            errors.extend(exc.errors)
    codes = [d.code for _n, d in definitions]
    errors.extend(f"报表代码 {c} 在多个文件中出现" for c in sorted({c for c in codes if codes.count(c) > 1}))
    if errors:
        raise FormSourceError(errors)
    result = LoadResult()
    with transaction.atomic():
        for name, definition in definitions:
            _load_one(result, name, definition, force)
    return result


def _load_one(result: LoadResult, name: str, definition, force: bool) -> None:
    existing = ReportForm.objects.filter(code=definition.code).first()
    edited_on_the_web = existing is not None and last_source(existing) == VersionSource.WEB
    if edited_on_the_web and not force and existing.definition != definition.data:
        result.kept_web_edits.append(definition.code)
        return
    saved = save_form(definition, source=VersionSource.FILE, note=f"报表文件 {name}")
    bucket = result.created if saved.created else result.updated if saved.changed else result.unchanged
    bucket.append(definition.code)
