"""The verification view of a subcategory: plain, picklable dataclasses built from the catalog models.

The intake pipeline (collection/pipeline/) works only with these, never with ORM objects, so it runs the same in
the web process, the background worker and the CLI, and can be tested without a database.
`build_table_spec(code)` (in catalog/specs_build.py) fills them from the loaded catalog.
"""

from dataclasses import dataclass, field

# Element types (DataElement.type)
TEXT, INTEGER, DECIMAL, DATE, BOOLEAN, CODE = "text", "integer", "decimal", "date", "boolean", "code"
ID_CARD, USCC, PHONE, REGION, REFERENCE = "id_card", "uscc", "phone", "region", "reference"
ELEMENT_TYPES = (TEXT, INTEGER, DECIMAL, DATE, BOOLEAN, CODE, ID_CARD, USCC, PHONE, REGION, REFERENCE)

# Element roles (DataElement.roles, catalog.choices.ElementRole)
NAME_ROLE, ADDRESS_ROLE, GRID_ROLE, LOCATION_ROLE = "name", "address", "grid", "location"
PERSON_NAME_ROLE = "person_name"  # a person's name: where personal data is masked it shows as 张** (family name kept)
# A house's own code (不动产单元代码, GB/T 37346, or a local code): it names a house entity, and its leading digits are
# usually its county's and township's division codes (collection/placing.py warns of another township's house).
HOUSE_CODE_ROLE = "house_code"

# Sensitivity, ordered from least to most protected.
SENSITIVITY_ORDER = ("public", "internal", "sensitive", "personal")


@dataclass(frozen=True)
class CodeTableSpec:
    """A code table for lookups: `lookup` maps every accepted written form (code, label, alias; already
    normalised with NFKC, whitespace removed, lowercase) to its code; `labels` maps code -> standard label."""

    code: str
    name: str
    lookup: dict[str, str]
    labels: dict[str, str]
    standard: str = ""  # e.g. "GB/T 2261.1-2003"; "本地" for local tables


@dataclass(frozen=True)
class ItemSpec:
    """One column of a subcategory's table: the data element as used there, with its effective rules."""

    key: str  # element key, e.g. "id_number"
    name: str  # Chinese name, e.g. "公民身份号码"
    aliases: tuple[str, ...]  # other header names townships write
    type: str  # one of ELEMENT_TYPES
    required: bool = False
    sensitivity: str = "internal"
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None  # a full-match regular expression on the normalised text
    pattern_hint: str | None = None  # Chinese description of the pattern for messages, e.g. "以字母开头"
    min_value: float | None = None  # numbers: inclusive bounds; dates: ISO strings in min_date/max_date
    max_value: float | None = None
    min_exclusive: bool = False  # e.g. floor area > 0
    not_future: bool = False  # dates: not after today
    min_date: str | None = None
    code_table: CodeTableSpec | None = None
    reference_kind: str | None = None  # the entity kind this item points at (a reference, another person's ID ...)
    help_text: str = ""
    key_type: str | None = None  # for type=reference: how the referenced key is verified (id_card, uscc, text ...)
    unit: str = ""  # unit of measure for numbers, e.g. "平方米"
    roles: tuple[str, ...] = ()  # catalog.choices.ElementRole values: name, address, grid, location, person_name …


@dataclass(frozen=True)
class CrossRuleSpec:
    """A cross-field rule used by a subcategory; `rule` names a check in collection/pipeline/verify.py.

    Known rules: id_birth_date (fields: id, date), id_sex (fields: id, sex), date_not_before (fields: field, other).
    """

    rule: str
    fields: dict[str, str]
    message: str = ""


@dataclass(frozen=True)
class TableSpec:
    """Everything needed to recognise, normalise and verify one subcategory's table."""

    code: str  # subcategory code, e.g. "P0101"
    name: str  # e.g. "户籍人口"
    kind: str  # entity kind of the domain: person, house, enterprise, land, object, event
    catalog_version: str
    items: tuple[ItemSpec, ...]
    key_items: tuple[str, ...]  # element keys of the dedup key, e.g. ("id_number",)
    cross_rules: tuple[CrossRuleSpec, ...] = field(default_factory=tuple)

    def item(self, key: str) -> ItemSpec:
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    @property
    def required_keys(self) -> tuple[str, ...]:
        return tuple(i.key for i in self.items if i.required)

    def keys_with_role(self, role: str) -> tuple[str, ...]:
        """The keys of the items whose element has `role` (see catalog.choices.ElementRole), in column order."""
        return tuple(i.key for i in self.items if role in i.roles)

    @property
    def display_name_keys(self) -> tuple[str, ...]:
        """The items an entity's display name is taken from, first non-empty wins: its names, then its addresses."""
        return self.keys_with_role(NAME_ROLE) + self.keys_with_role(ADDRESS_ROLE)

    @property
    def placement_keys(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(grid items, address items) a row is placed by (basedb placement): the items naming its grid, then the
        addresses in which a village is looked for, where the entity is (location) before the other addresses."""
        locations = self.keys_with_role(LOCATION_ROLE)
        addresses = locations + tuple(k for k in self.keys_with_role(ADDRESS_ROLE) if k not in locations)
        return self.keys_with_role(GRID_ROLE), addresses

    def pointing_items(self) -> tuple["ItemSpec", ...]:
        """The items that name another entity (their reference_kind), the table's own key items excepted."""
        return tuple(i for i in self.items if i.reference_kind and i.key not in self.key_items)
