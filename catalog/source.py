"""Reading and validating the catalog source (fixtures/catalog/, YAML; format in docs/catalog.md).

`read_source(path)` returns a `CatalogSource`: plain rows keyed by their natural keys, ready to be compared with the
database by catalog/loader.py. Every problem found is collected and raised at once as `CatalogSourceError`, each
message naming the file and the entry, so an editor fixes them all in one pass.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from grassroots.text import lookup_key

from .choices import ElementRole, ElementType, EntityKind, Sensitivity, UpdateCycle

DOMAIN_ORDER = "PHELOS"
RULE_KEYS = {
    "min_length": int,
    "max_length": int,
    "pattern": str,
    "pattern_hint": str,
    "min": (int, float),
    "max": (int, float),
    "min_exclusive": bool,
    "not_future": bool,
    "min_date": str,
}
# Cross-field rules known to the verifier and the fields each one names.
CROSS_RULE_FIELDS = {
    "id_birth_date": ("id", "date"),
    "id_sex": ("id", "sex"),
    "date_not_before": ("field", "other"),
}
ITEM_KEYS = {"element", "required", "rules", "help", "label"}
_KEY = re.compile(r"[a-z][a-z0-9_]*")
POINTER_TYPES = (ElementType.ID_CARD, ElementType.USCC)  # identifiers that may name another entity (refers_to)


class CatalogSourceError(Exception):
    """The catalog source is invalid; `errors` lists every problem in Chinese, each naming its file and entry."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass
class CatalogSource:
    """The validated catalog source as plain rows keyed by natural key (what catalog/loader.py upserts)."""

    version: str
    title: str
    domains: dict[str, dict] = field(default_factory=dict)
    categories: dict[str, dict] = field(default_factory=dict)
    code_tables: dict[str, dict] = field(default_factory=dict)
    code_values: dict[tuple[str, str], dict] = field(default_factory=dict)
    elements: dict[str, dict] = field(default_factory=dict)
    subcategories: dict[str, dict] = field(default_factory=dict)
    items: dict[tuple[str, str], dict] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of everything loaded, so any edit of the source gives a new hash."""
        content = {
            "version": self.version,
            "domains": self.domains,
            "categories": self.categories,
            "code_tables": self.code_tables,
            "code_values": {"|".join(k): v for k, v in self.code_values.items()},
            "elements": self.elements,
            "subcategories": self.subcategories,
            "items": {"|".join(k): v for k, v in self.items.items()},
        }
        canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def counts(self) -> dict[str, int]:
        return {
            "domains": len(self.domains),
            "categories": len(self.categories),
            "subcategories": len(self.subcategories),
            "items": len(self.items),
            "elements": len(self.elements),
            "code_tables": len(self.code_tables),
            "code_values": len(self.code_values),
        }


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _str_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str | int | float):
        return [_text(value)]
    return [_text(v) for v in value if _text(v)]


class _Reader:
    """Collects errors while turning the YAML documents into a CatalogSource."""

    def __init__(self, root: Path):
        self.root = root
        self.errors: list[str] = []
        self.source = CatalogSource(version="", title="")

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{where}：{message}")

    def load_yaml(self, name: str, *, required: bool = True):
        path = self.root / name
        if not path.is_file():
            if required:
                self.error(name, "文件不存在")
            return None
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 (safe loader)
        except yaml.YAMLError as exc:
            self.error(name, f"YAML 格式错误：{exc}")
            return None

    # --- catalog.yaml -------------------------------------------------------------------------------------------
    def read_header(self) -> None:
        doc = self.load_yaml("catalog.yaml")
        if not isinstance(doc, dict):
            if doc is not None:
                self.error("catalog.yaml", "应为映射（version、title）")
            return
        self.source.version = _text(doc.get("version"))
        self.source.title = _text(doc.get("title"))
        if not self.source.version:
            self.error("catalog.yaml", "缺少 version（目录版本号）")

    # --- code_tables.yaml ---------------------------------------------------------------------------------------
    def read_code_tables(self) -> None:
        doc = self.load_yaml("code_tables.yaml")
        if doc is None:
            return
        if not isinstance(doc, list):
            self.error("code_tables.yaml", "应为代码表列表")
            return
        for index, entry in enumerate(doc, start=1):
            self.read_code_table(entry, f"code_tables.yaml 第{index}个代码表")

    def read_code_table(self, entry: object, where: str) -> None:
        if not isinstance(entry, dict):
            self.error(where, "应为映射（code、name、standard、values）")
            return
        code, name = _text(entry.get("code")), _text(entry.get("name"))
        where = f"{where}（{code or '?'}）"
        if not code or not name:
            self.error(where, "缺少 code 或 name")
            return
        if code in self.source.code_tables:
            self.error(where, f"代码表代码 {code} 重复")
            return
        self.source.code_tables[code] = {"name": name, "standard": _text(entry.get("standard"))}
        values = entry.get("values") or []
        if not isinstance(values, list) or not values:
            self.error(where, "values 应为非空列表")
            return
        forms: dict[str, str] = {}  # written form's lookup key -> code: one form must mean one code
        for order, value in enumerate(values, start=1):
            self.read_code_value(code, value, order, forms, where)

    def read_code_value(self, table: str, value: object, order: int, forms: dict[str, str], where: str) -> None:
        if not isinstance(value, dict) or not _text(value.get("code")) or not _text(value.get("label")):
            self.error(where, f"第{order}个代码值缺少 code 或 label")
            return
        code, label = _text(value["code"]), _text(value["label"])
        if not isinstance(value["code"], str):
            self.source.warnings.append(
                f'{where}：代码 {code} 未加引号，YAML 会把它读成数字（前导零会丢失），请写成 "{code}"'
            )
        if (table, code) in self.source.code_values:
            self.error(where, f"代码值 {code} 重复")
            return
        aliases = _str_list(value.get("aliases"))
        for form in (code, label, *aliases):
            # Compared as intake compares them (grassroots.text.lookup_key): "Ｍ" and " m" are one written form.
            norm = lookup_key(form)
            if forms.setdefault(norm, code) != code:
                self.error(where, f"写法“{form}”同时对应代码 {forms[norm]} 和 {code}")
        self.source.code_values[(table, code)] = {
            "label": label,
            "aliases": aliases,
            "parent_code": _text(value.get("parent")),
            "order": order,
        }

    # --- elements.yaml ------------------------------------------------------------------------------------------
    def read_elements(self) -> None:
        doc = self.load_yaml("elements.yaml")
        if doc is None:
            return
        if not isinstance(doc, list):
            self.error("elements.yaml", "应为数据元列表")
            return
        for index, entry in enumerate(doc, start=1):
            self.read_element(entry, f"elements.yaml 第{index}个数据元")

    def read_element(self, entry: object, where: str) -> None:
        if not isinstance(entry, dict):
            self.error(where, "应为映射（key、name、type ...）")
            return
        key, name = _text(entry.get("key")), _text(entry.get("name"))
        where = f"{where}（{key or '?'}）"
        if not _KEY.fullmatch(key) or not name:
            self.error(where, "key 应为小写字母开头的 snake_case，且须有 name")
            return
        if key in self.source.elements:
            self.error(where, f"数据元 {key} 重复")
            return
        type_ = _text(entry.get("type"))
        if type_ not in ElementType.values:
            self.error(where, f"未知的数据类型 {type_!r}（可选：{'、'.join(ElementType.values)}）")
        sensitivity = _text(entry.get("sensitivity")) or Sensitivity.INTERNAL
        if sensitivity not in Sensitivity.values:
            self.error(where, f"未知的敏感级别 {sensitivity!r}（可选：{'、'.join(Sensitivity.values)}）")
        code_table = _text(entry.get("code_table"))
        if type_ == ElementType.CODE and not code_table:
            self.error(where, "代码类型的数据元须指定 code_table")
        if code_table and code_table not in self.source.code_tables:
            self.error(where, f"未知的代码表 {code_table}")
        if code_table and type_ != ElementType.CODE:
            self.error(where, f"只有代码类型（code）的数据元可以指定代码表，当前类型为 {type_}")
        refers_to, key_type = _text(entry.get("refers_to")), _text(entry.get("key_type"))
        self.check_reference(type_, refers_to, key_type, where)
        roles = _str_list(entry.get("roles"))
        for role in roles:
            if role not in ElementRole.values:
                self.error(where, f"未知的角色 {role!r}（可选：{'、'.join(ElementRole.values)}）")
        self.source.elements[key] = {
            "name": name,
            "aliases": _str_list(entry.get("aliases")),
            "type": type_,
            "sensitivity": sensitivity,
            "description": _text(entry.get("description")),
            "unit": _text(entry.get("unit")),
            "rules": self.read_rules(entry.get("rules"), where),
            "code_table": code_table,
            "refers_to": refers_to,
            "key_type": key_type,
            "roles": roles,
        }

    def check_reference(self, type_: str, refers_to: str, key_type: str, where: str) -> None:
        if type_ != ElementType.REFERENCE:
            # An identifier of another entity (the legal representative's ID number) points at it without a key_type.
            if key_type or (refers_to and type_ not in POINTER_TYPES):
                self.error(where, "只有关联类型可指定 key_type；refers_to 仅限关联类型、身份号码和信用代码")
            if refers_to and refers_to not in EntityKind.values:
                self.error(where, f"refers_to 应为 {'、'.join(EntityKind.values)} 之一，当前为 {refers_to!r}")
            return
        if refers_to not in EntityKind.values:
            self.error(where, f"refers_to 应为 {'、'.join(EntityKind.values)} 之一，当前为 {refers_to!r}")
        if key_type not in ElementType.values or key_type in (ElementType.REFERENCE, ElementType.CODE):
            self.error(where, f"key_type 应为被关联主体标识的数据类型（如 id_card、uscc、text），当前为 {key_type!r}")

    def read_rules(self, rules: object, where: str) -> dict:
        if rules is None:
            return {}
        if not isinstance(rules, dict):
            self.error(where, "rules 应为映射")
            return {}
        for name, value in rules.items():
            expected = RULE_KEYS.get(name)
            if expected is None:
                self.error(where, f"未知的规则 {name}（可选：{'、'.join(RULE_KEYS)}）")
            elif not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                self.error(where, f"规则 {name} 的值 {value!r} 类型不对")
        if isinstance(rules.get("pattern"), str):
            try:
                re.compile(rules["pattern"])
            except re.error as exc:
                self.error(where, f"pattern 不是有效的正则表达式：{exc}")
        if isinstance(rules.get("min_date"), str) and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", rules["min_date"]):
            self.error(where, "min_date 应为 YYYY-MM-DD")
        return dict(rules)

    # --- domains/*.yaml -----------------------------------------------------------------------------------------
    def read_domains(self) -> None:
        folder = self.root / "domains"
        files = sorted(folder.glob("*.yaml"), key=lambda p: (DOMAIN_ORDER.find(p.stem) % 100, p.stem))
        if not files:
            self.error("domains/", "没有领域文件（domains/P.yaml 等）")
        for path in files:
            doc = self.load_yaml(f"domains/{path.name}")
            if doc is not None:
                self.read_domain(doc, f"domains/{path.name}")

    def read_domain(self, doc: object, where: str) -> None:
        if not isinstance(doc, dict):
            self.error(where, "应为映射（code、name、kind、categories）")
            return
        code, name, kind = _text(doc.get("code")), _text(doc.get("name")), _text(doc.get("kind"))
        if not code or not name:
            self.error(where, "缺少 code 或 name")
            return
        if code in self.source.domains:
            self.error(where, f"领域代码 {code} 重复")
            return
        if kind not in EntityKind.values:
            self.error(where, f"kind 应为 {'、'.join(EntityKind.values)} 之一，当前为 {kind!r}")
        order = DOMAIN_ORDER.find(code) + 1 or len(DOMAIN_ORDER) + len(self.source.domains) + 1
        self.source.domains[code] = {"name": name, "kind": kind, "order": order}
        for entry in doc.get("categories") or []:
            self.read_category(code, entry, where)

    def read_category(self, domain: str, entry: object, where: str) -> None:
        if not isinstance(entry, dict) or not _text(entry.get("code")) or not _text(entry.get("name")):
            self.error(where, "大类缺少 code 或 name")
            return
        code = _text(entry["code"])
        where = f"{where} 大类 {code}"
        if code in self.source.categories:
            self.error(where, f"大类代码 {code} 重复")
            return
        if not code.startswith(domain):
            self.error(where, f"大类代码应以领域代码 {domain} 开头")
        order = len(self.source.categories) + 1
        self.source.categories[code] = {"name": _text(entry["name"]), "domain": domain, "order": order}
        for sub in entry.get("subcategories") or []:
            self.read_subcategory(code, sub, where)

    def read_subcategory(self, category: str, entry: object, where: str) -> None:
        if not isinstance(entry, dict) or not _text(entry.get("code")) or not _text(entry.get("name")):
            self.error(where, "子类缺少 code 或 name")
            return
        code = _text(entry["code"])
        where = f"{where.split(' 大类 ')[0]} 子类 {code}"  # errors name the file and subcategory, not the category
        if code in self.source.subcategories:
            self.error(where, f"子类代码 {code} 重复")
            return
        if not code.startswith(category):
            self.error(where, f"子类代码应以大类代码 {category} 开头")
        cycle = _text(entry.get("update_cycle"))
        if cycle and cycle not in UpdateCycle.values:
            self.error(where, f"update_cycle 应为 {'、'.join(UpdateCycle.values)} 之一，当前为 {cycle!r}")
        items = self.read_items(code, entry.get("items"), where)
        key_items = _str_list(entry.get("key"))
        self.check_key(key_items, items, where)
        self.source.subcategories[code] = {
            "name": _text(entry["name"]),
            "category": category,
            "department": _text(entry.get("department")),
            "update_cycle": cycle,
            "description": _text(entry.get("description")),
            "key_items": key_items,
            "cross_rules": self.read_cross_rules(entry.get("cross_rules"), items, where),
            "order": len(self.source.subcategories) + 1,
        }

    def read_items(self, subcategory: str, entries: object, where: str) -> dict[str, dict]:
        if not isinstance(entries, list) or not entries:
            self.error(where, "items 应为非空列表")
            return {}
        items: dict[str, dict] = {}
        for order, entry in enumerate(entries, start=1):
            item = self.read_item(entry, order, f"{where} 第{order}个数据项")
            if item is None:
                continue
            key = item.pop("element")
            if key in items:
                self.error(where, f"数据项 {key} 重复")
                continue
            items[key] = item
            self.source.items[(subcategory, key)] = item
        return items

    def read_item(self, entry: object, order: int, where: str) -> dict | None:
        if isinstance(entry, str):  # the short form: "name*" is element name, required
            key = entry.strip()
            entry = {"element": key.rstrip("*").strip(), "required": key.endswith("*")}
        if not isinstance(entry, dict):
            self.error(where, "应为元素标识（如 name*）或映射（element、required、rules、help、label）")
            return None
        unknown = set(entry) - ITEM_KEYS
        if unknown:
            self.error(where, f"未知的属性 {'、'.join(sorted(map(str, unknown)))}")
        key = _text(entry.get("element"))
        if key not in self.source.elements:
            self.error(where, f"未知的数据元 {key!r}")
            return None
        required = entry.get("required", False)
        if not isinstance(required, bool):
            self.error(where, "required 应为 true 或 false")
        return {
            "element": key,
            "order": order,
            "required": bool(required),
            "label": _text(entry.get("label")),
            "help_text": _text(entry.get("help")),
            "rules": self.read_rules(entry.get("rules"), f"{where}（{key}）"),
        }

    def check_key(self, key_items: list[str], items: dict[str, dict], where: str) -> None:
        if not key_items:
            self.error(where, "缺少 key（去重主键的数据项）")
        for key in key_items:
            if key not in items:
                self.error(where, f"主键数据项 {key} 不在本子类的数据项中")
            elif not items[key]["required"]:  # a row without its key cannot be merged: only a warning, rows say why
                self.source.warnings.append(f"{where}：主键数据项 {key} 应为必填")

    def read_cross_rules(self, rules: object, items: dict[str, dict], where: str) -> list[dict]:
        if rules is None:
            return []
        if not isinstance(rules, list):
            self.error(where, "cross_rules 应为列表")
            return []
        result = []
        for rule in rules:
            name = _text(rule.get("rule")) if isinstance(rule, dict) else ""
            if name not in CROSS_RULE_FIELDS:
                self.error(where, f"未知的跨字段规则 {name!r}（可选：{'、'.join(CROSS_RULE_FIELDS)}）")
                continue
            fields = {k: _text(v) for k, v in rule.items() if k not in ("rule", "message")}
            if set(fields) != set(CROSS_RULE_FIELDS[name]):
                self.error(where, f"跨字段规则 {name} 应指定 {'、'.join(CROSS_RULE_FIELDS[name])}")
            for field_key in fields.values():
                if field_key not in items:
                    self.error(where, f"跨字段规则 {name} 引用的 {field_key} 不在本子类的数据项中")
            result.append({"rule": name, **fields, **({"message": rule["message"]} if rule.get("message") else {})})
        return result


def read_source(root: Path) -> CatalogSource:
    """Read and validate the catalog source directory; raise CatalogSourceError listing every problem found."""
    reader = _Reader(Path(root))
    if not reader.root.is_dir():
        raise CatalogSourceError([f"{root}：目录不存在"])
    reader.read_header()
    reader.read_code_tables()
    reader.read_elements()
    reader.read_domains()
    if reader.errors:
        raise CatalogSourceError(reader.errors)
    return reader.source
