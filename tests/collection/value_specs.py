"""Hand-built TableSpecs for the value-side tests (no database): a P0101-like person table and small others."""

import datetime

import pandas as pd

from catalog import spec as S
from catalog.spec import CodeTableSpec, CrossRuleSpec, ItemSpec, TableSpec
from collection.pipeline.verify import InFileKeys, verify_chunk
from grassroots.text import lookup_key

TODAY = datetime.date(2025, 1, 1)


def code_table(code: str, name: str, values: list[tuple[str, str, tuple[str, ...]]]) -> CodeTableSpec:
    lookup = {}
    for value_code, label, aliases in values:
        for form in (*aliases, label, value_code):
            lookup[lookup_key(form)] = value_code
    return CodeTableSpec(code=code, name=name, lookup=lookup, labels={c: label for c, label, _ in values})


SEX = code_table(
    "GB_T_2261_1",
    "性别",
    [("0", "未知的性别", ("未知",)), ("1", "男性", ("男",)), ("2", "女性", ("女",)), ("9", "未说明的性别", ())],
)
ETHNICITY = code_table("GB_T_3304", "民族", [("01", "汉族", ("汉",)), ("03", "回族", ("回",)), ("11", "满族", ("满",))])
EDUCATION = code_table(
    "GB_T_4658",
    "文化程度",
    [
        ("20", "大学本科", ("本科", "大学本科毕业")),
        ("60", "普通高级中学教育", ("高中",)),
        ("90", "小学教育", ("小学",)),
    ],
)
INDUSTRY = code_table("GB_T_4754_2017", "国民经济行业分类", [("A", "农、林、牧、渔业", ()), ("C", "制造业", ())])

P0101 = TableSpec(
    code="P0101",
    name="户籍人口",
    kind="person",
    catalog_version="test",
    items=(
        ItemSpec("name", "姓名", (), S.TEXT, required=True, max_length=50),
        ItemSpec("id_number", "公民身份号码", ("身份证号",), S.ID_CARD, required=True),
        ItemSpec("sex", "性别", (), S.CODE, required=True, code_table=SEX),
        ItemSpec("ethnicity", "民族", (), S.CODE, code_table=ETHNICITY),
        ItemSpec("birth_date", "出生日期", (), S.DATE, not_future=True, min_date="1900-01-01"),
        ItemSpec("phone", "联系电话", ("手机号",), S.PHONE),
        ItemSpec("current_address", "现住址", (), S.TEXT, required=True, max_length=200),
        ItemSpec("education", "文化程度", (), S.CODE, code_table=EDUCATION),
        ItemSpec("grid", "所属网格", (), S.TEXT, max_length=100),
        ItemSpec("remarks", "备注", (), S.TEXT, max_length=500),
    ),
    key_items=("id_number",),
    cross_rules=(
        CrossRuleSpec("id_birth_date", {"id": "id_number", "date": "birth_date"}),
        CrossRuleSpec("id_sex", {"id": "id_number", "sex": "sex"}),
    ),
)

OTHERS = TableSpec(
    code="X0001",
    name="杂项",
    kind="object",
    catalog_version="test",
    items=(
        ItemSpec(
            "code_no",
            "编号",
            (),
            S.TEXT,
            required=True,
            max_length=10,
            min_length=2,
            pattern=r"[A-Z]\d+",
            pattern_hint="以大写字母开头、后接数字",
        ),
        ItemSpec("uscc", "统一社会信用代码", (), S.USCC),
        ItemSpec("floors", "层数", (), S.INTEGER, min_value=1, max_value=200),
        ItemSpec("floor_area", "建筑面积", (), S.DECIMAL, min_value=0, min_exclusive=True, unit="平方米"),
        ItemSpec("is_rented", "是否出租", (), S.BOOLEAN),
        ItemSpec("industry", "行业门类", (), S.CODE, code_table=INDUSTRY),
        ItemSpec("region", "所属区划", (), S.REGION),
        ItemSpec("owner_id_number", "产权人身份证号", (), S.REFERENCE, reference_kind="person", key_type=S.ID_CARD),
        ItemSpec("owner_ref", "关联编号", (), S.REFERENCE, reference_kind="house"),
        ItemSpec("birth_date", "出生日期", (), S.DATE),
        ItemSpec("arrival_date", "来本地日期", (), S.DATE, not_future=True),
    ),
    key_items=("code_no", "floors"),
    cross_rules=(CrossRuleSpec("date_not_before", {"field": "arrival_date", "other": "birth_date"}),),
)


def raw_frame(rows: list[dict], first_row: int = 2) -> pd.DataFrame:
    """A raw chunk as the reader hands it over: str/None cells, '_row' = Excel row number."""
    frame = pd.DataFrame(rows, dtype=object)
    frame["_row"] = range(first_row, first_row + len(rows))
    return frame


def verify(spec: TableSpec, rows: list[dict], *, keys: InFileKeys | None = None, first_row: int = 2, **kwargs):
    raw = raw_frame(rows, first_row)
    headers = {item.key: item.name for item in spec.items}
    return verify_chunk(raw, spec, headers, keys=keys if keys is not None else InFileKeys(), today=TODAY, **kwargs)
