"""Definitions kept as data: matching rules (matching/) and report forms (reports/).

Both are YAML files under fixtures/ loaded idempotently by a management command, editable on the web, and versioned:
every change of content is a new version row (the whole definition, who, when, which top-level fields changed);
unchanged content writes nothing. A definition edited on the web is newer than its file, so loading files keeps it
unless forced. What differs per kind — the parser, the model's columns, the audit verb, the Chinese nouns — is passed
in by the app; the versioning, the file reading and the editor's YAML handling are here, once.
"""

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import yaml
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.management.base import BaseCommand, CommandError
from django.db import models


class DefinitionSourceError(Exception):
    """Definition files cannot be loaded; `errors` lists every problem in Chinese, each naming its file."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


def plain(value):
    """YAML's dates (an unquoted 2025-01-01) as ISO text, recursively, so definitions are plain JSON."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return value


def read_yaml(path: Path, error: type[DefinitionSourceError] = DefinitionSourceError):
    try:
        return plain(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        raise error([f"{path.name}：YAML 格式错误{where}（{getattr(exc, 'problem', '') or exc}）"]) from exc


def content_hash(data: dict) -> str:
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def diff_definitions(old: dict, new: dict) -> dict[str, list]:
    """The top-level fields whose value differs, as {field: [old, new]}."""
    keys = [*old, *(k for k in new if k not in old)]
    return {k: [old.get(k), new.get(k)] for k in keys if old.get(k) != new.get(k)}


def as_yaml(data: dict) -> str:
    """A definition as the YAML its writer reads and edits (keys in the documented order)."""
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)


class DefinitionVersion(models.Model):
    """One version of a definition: the whole definition as it was, where it came from (`source`, a choice the
    concrete model declares), who changed it and what changed (`changes`: {field: [old, new]}, empty for the first
    version). The concrete model adds the foreign key to its definition, named by `Saved.parent_field`."""

    version = models.PositiveIntegerField("版本")
    content_hash = models.CharField("内容摘要", max_length=64)
    changes = models.JSONField("变更", default=dict, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.CharField("说明", max_length=500, blank=True, default="")
    created_at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        abstract = True


@dataclass
class Saved:
    obj: models.Model
    created: bool
    changed: bool
    previous: dict = field(default_factory=dict)


def save_version(
    model: type[models.Model],
    code: str,
    data: dict,
    apply: Callable[[models.Model], None],
    *,
    source: str,
    acting_user=None,
    note: str = "",
) -> Saved:
    """Create the definition `code` or give it a new version when its content changed (call inside a transaction).

    `model` has code, definition, version and a `versions` relation; `apply(obj)` copies the parsed definition's
    columns onto the row. The audit event is the caller's (its verb and label differ per kind)."""
    digest = content_hash(data)
    obj = model.objects.select_for_update().filter(code=code).first()
    if obj is not None and obj.versions.filter(version=obj.version, content_hash=digest).exists():
        return Saved(obj, created=False, changed=False, previous=obj.definition)
    created = obj is None
    previous = {} if created else obj.definition
    obj = obj or model(code=code, version=0)
    apply(obj)
    obj.definition = data
    obj.version += 1
    obj.save()
    obj.versions.create(
        version=obj.version, definition=data, content_hash=digest, source=source,
        changes={} if created else diff_definitions(previous, data), acting_user=acting_user, note=note[:500],
    )  # fmt: skip
    return Saved(obj, created=created, changed=True, previous=previous)


def change_summary(saved: Saved, source: str) -> dict:
    """The audit event's before/after of a saved change: versions, source, the changed fields, active or not."""
    obj = saved.obj
    changed = sorted(diff_definitions(saved.previous, obj.definition))
    return {
        "before": None if saved.created else {"version": obj.version - 1},
        "after": {"version": obj.version, "source": source, "changed": changed, "active": obj.is_active},
    }


def last_source(obj, default: str) -> str:
    """Where the current version came from (file or web)."""
    return obj.versions.filter(version=obj.version).values_list("source", flat=True).first() or default


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_web_edits: list[str] = field(default_factory=list)
    facts_changed: int = 0  # matching's feedback facts, loaded with the rules

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.facts_changed)


def parse_files(
    paths: Iterable[Path],
    parse: Callable[[object], object],
    *,
    invalid: type[Exception],
    error: type[DefinitionSourceError],
    noun: str,
) -> tuple[list, list[str]]:
    """Parse every file (one definition each); returns [(file name, definition)] and every problem in Chinese.
    `invalid` is the parser's exception (with `.errors`), `noun` names the kind in messages (规则, 报表)."""
    definitions, errors = [], []
    for path in paths:
        try:
            definitions.append((path.name, parse(read_yaml(path, error))))
        except invalid as exc:
            errors.extend(f"{path.name}：{e}" for e in exc.errors)
        except DefinitionSourceError as exc:
            errors.extend(exc.errors)
    codes = [d.code for _n, d in definitions]
    errors.extend(f"{noun}代码 {c} 在多个文件中出现" for c in sorted({c for c in codes if codes.count(c) > 1}))
    return definitions, errors


def load_one(result: LoadResult, model, definition, save: Callable[..., Saved], *, web: str, force: bool, note: str):
    """Load one parsed definition from its file, unless its current version was edited on the web (`web` is the
    source value of web edits) and `force` is not given; files what happened into `result`."""
    existing = model.objects.filter(code=definition.code).first()
    edited_on_the_web = existing is not None and last_source(existing, default="") == web
    if edited_on_the_web and not force and existing.definition != definition.data:
        result.kept_web_edits.append(definition.code)
        return
    saved = save(definition, note=note)
    bucket = result.created if saved.created else result.updated if saved.changed else result.unchanged
    bucket.append(definition.code)


class DefinitionEditor(forms.Form):
    """The web editor of a definition: the plain fields as inputs (declared by the subclass, named in `FIELD_KEYS`)
    and the logic as YAML (`logic`); `clean` joins both and checks the whole definition with `parse_definition`."""

    FIELD_KEYS: tuple[str, ...] = ()
    LOGIC_KEYS: tuple[str, ...] = ()
    LOGIC_NAME = "YAML"  # how messages name the logic box (e.g. 条件)
    INVALID: type[Exception] = ValueError  # the parser's exception; its `.errors` become the form's errors

    active = forms.BooleanField(label="启用", required=False, initial=True)
    note = forms.CharField(label="修改说明", required=False, max_length=500)

    def __init__(self, *args, instance=None, **kwargs):
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(instance.definition)
        super().__init__(*args, **kwargs)
        if instance is not None:
            self.fields["code"].disabled = True
        self.definition = None

    @classmethod
    def initial_for(cls, data: dict) -> dict:
        initial = {k: data.get(k, "") for k in ("code", *cls.FIELD_KEYS)}
        initial["active"] = data.get("active", True)
        initial["logic"] = as_yaml({k: data[k] for k in cls.LOGIC_KEYS if k in data})
        return initial

    def parse_definition(self, data: dict):
        """The parsed definition; raises the parser's exception, whose `.errors` are shown as the form's errors."""
        raise NotImplementedError

    def clean(self):
        cleaned = super().clean()
        name = self.LOGIC_NAME
        try:
            logic = plain(yaml.safe_load(cleaned.get("logic") or "") or {})
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise forms.ValidationError(f"{name}不是有效的 YAML（第 {mark.line + 1 if mark else '?'} 行附近）") from exc
        if not isinstance(logic, dict):
            raise forms.ValidationError(f"{name}应写成“字段: 值”的 YAML 映射")
        misplaced = [k for k in logic if k in (*self.FIELD_KEYS, "code")]
        if misplaced:
            raise forms.ValidationError(f"{'、'.join(misplaced)} 请在上面的表单字段中填写，不要写在{name}里")
        data = {k: cleaned.get(k) for k in ("code", *self.FIELD_KEYS) if cleaned.get(k) not in (None, "")} | logic
        data["active"] = bool(cleaned.get("active"))
        try:
            self.definition = self.parse_definition(data)
        except self.INVALID as exc:
            for error in exc.errors:
                self.add_error(None, error)
        return cleaned


def save_edited(request, editor: DefinitionEditor, save: Callable[..., Saved], *, source: str) -> Saved | None:
    """A valid POST of the web editor saved (a message says when nothing changed); None: show the editor again."""
    if request.method != "POST" or not editor.is_valid() or editor.definition is None:
        return None
    saved = save(editor.definition, source=source, acting_user=request.user, note=editor.cleaned_data["note"])
    if not saved.changed:
        messages.info(request, "内容没有变化，未生成新版本。")
    return saved


def run_load(command: BaseCommand, load: Callable[[], LoadResult], *, noun: str, unit: str) -> None:
    """A load command's body: load, then tell what happened in Chinese (`noun` 规则/报表, `unit` 条/张); every
    problem of the files on stderr and a CommandError when nothing could be loaded."""
    try:
        result = load()
    except DefinitionSourceError as exc:
        for error in exc.errors:
            command.stderr.write(error)
        raise CommandError(f"{noun}文件有 {len(exc.errors)} 处错误，未加载任何内容") from exc
    for code in result.kept_web_edits:
        command.stderr.write(
            command.style.WARNING(f"提示：{noun} {code} 已在页面上修改，保留页面版本（用 --force 以文件覆盖）")
        )
    if not result.changed:
        command.stdout.write(f"{noun}未变化（{len(result.unchanged) + len(result.kept_web_edits)} {unit}），无需更新")
        return
    if result.facts_changed:
        command.stdout.write(f"反馈事实：更新 {result.facts_changed} 项")
    for label, codes in (("新增", result.created), ("更新", result.updated)):
        if codes:
            command.stdout.write(f"{label}{noun} {len(codes)} {unit}：{'、'.join(codes)}")
    if result.unchanged:
        command.stdout.write(f"未变化 {len(result.unchanged)} {unit}")
