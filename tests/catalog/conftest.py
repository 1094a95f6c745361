"""Catalog test fixtures: a small catalog source written to a tmp dir and a tmp copy of the real one.

The real catalog itself is in the test database for the whole session (tests/conftest.py): a test that loads a small
catalog as the only one asks for `empty_catalog` too."""

import shutil
import textwrap
from pathlib import Path

import pytest

from catalog.loader import DEFAULT_SOURCE

SMALL = {
    "catalog.yaml": """
        version: "t.1"
        title: 测试目录
    """,
    "code_tables.yaml": """
        - code: SEX
          name: 性别
          standard: GB/T 2261.1-2003
          values:
            - {code: "1", label: 男性, aliases: [男]}
            - {code: "2", label: 女性, aliases: [女]}
        - code: USE
          name: 房屋用途
          standard: 本地
          values:
            - {code: "10", label: 住宅}
            - {code: "20", label: 商业}
    """,
    "elements.yaml": """
        - {key: name, name: 姓名, type: text, sensitivity: internal, rules: {max_length: 50}}
        - {key: id_number, name: 公民身份号码, aliases: [身份证号], type: id_card, sensitivity: personal}
        - {key: sex, name: 性别, type: code, code_table: SEX}
        - {key: birth_date, name: 出生日期, type: date, rules: {not_future: true}}
        - {key: house_code, name: 房屋编码, type: text, rules: {max_length: 40}}
        - {key: house_use, name: 房屋用途, type: code, code_table: USE}
        - {key: floors, name: 层数, type: integer, rules: {min: 1, max: 200}}
        - {key: owner_id_number, name: 产权人身份证号, type: reference, refers_to: person, key_type: id_card}
        - {key: address, name: 地址, type: text}
    """,
    "domains/P.yaml": """
        code: P
        name: 人
        kind: person
        categories:
          - code: P01
            name: 常住人口
            subcategories:
              - code: P0101
                name: 户籍人口
                department: 市公安局
                update_cycle: 月
                key: [id_number]
                items: [name*, id_number*, sex*, birth_date]
                cross_rules:
                  - {rule: id_birth_date, id: id_number, date: birth_date}
              - code: P0102
                name: 流动人口
                key: [id_number]
                items: [name*, id_number*, {element: address, label: 现住址, required: true}]
    """,
    "domains/H.yaml": """
        code: H
        name: 房
        kind: house
        categories:
          - code: H01
            name: 房屋建筑
            subcategories:
              - code: H0101
                name: 房屋基本信息
                key: [house_code]
                items:
                  - house_code*
                  - {element: address, label: 房屋地址, required: true, help: 写到门牌号}
                  - house_use
                  - {element: floors, rules: {max: 100}}
                  - owner_id_number
    """,
}


def write_source(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


@pytest.fixture
def small_source(tmp_path) -> Path:
    """A small, valid catalog source in a tmp dir (2 domains, 3 subcategories)."""
    return write_source(tmp_path / "catalog", SMALL)


@pytest.fixture
def real_source_copy(tmp_path) -> Path:
    """A tmp copy of the real fixtures/catalog, for tests that edit the source."""
    return Path(shutil.copytree(DEFAULT_SOURCE, tmp_path / "catalog"))
