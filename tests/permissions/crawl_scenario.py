"""The scenario of the cross-county crawl (tests/permissions/test_crawl.py), built through the real doors.

Township A (东山街道, county X 芝罘区) uploads real workbooks of people and houses; its county's officer approves them
(the real pipeline: upload, verification, review, merge). The shipped matching rules are evaluated (work lists of A's
people), A's officer confirms a report, an API client of county X reads A's records (the access log), A's collector
reveals a record, a grid worker of A reports a correction from the field, the client registers a webhook (its
deliveries carry A's records). Then township Y (清洋街道, county Y 福山区) uploads some of the same people (same ID
numbers, its own phones and addresses) and people of its own: one batch approved by Y's officer (conflicts with A's
records), one left verified and waiting for review (conflict warnings), a house owned by one of the shared people,
and one of them as its 流动人口 (a record of Y's of an entity A holds).

`Secrets` says what of A's must never reach a user of county Y: ID numbers Y did not upload, every phone and address
of A's (Y's differ).
"""

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.test import Client, override_settings
from django.urls import reverse

from catalog.models import Subcategory
from collection.models import Batch
from matching.evaluation import evaluate_rules
from matching.loader import load_rules
from matching.models import Rule
from regions.choices import Role
from regions.samples import generate_sample_villages
from reports.loader import load_reports
from sharing.choices import Sensitivity
from sharing.clients import create_client
from sharing.models import Webhook
from sharing.webhooks import scan_webhooks
from tests.collection.batch_fixtures import write_xlsx
from tests.conftest import COUNTY_A, GRID_A, OTHER_COUNTY, TOWNSHIP_A, make_user
from tests.matching.scenario import id_number

TOWNSHIP_Y = "370611001"  # 清洋街道, 福山区: another county than A's
P0101_HEADERS = ["姓名", "公民身份号码", "性别", "民族", "出生日期", "联系电话", "户籍地址", "现住址", "所属网格"]
P0102_HEADERS = ["姓名", "公民身份号码", "性别", "出生日期", "联系电话", "户籍地址", "现住址", "所属网格"]
H0101_HEADERS = ["房屋编码", "房屋地址", "产权人姓名", "产权人身份证号", "所属网格"]
SHARED = 2  # A's first two people are uploaded by township Y as well


@dataclass(frozen=True)
class Person:
    n: int
    name: str
    born: str
    sex: str
    area: str = "370602"

    @property
    def id_number(self) -> str:
        return id_number(self.area, self.born, self.n * 10 + (1 if self.sex == "1" else 2))


A_PEOPLE = [
    Person(1, "甲一鸣", "1940-02-03", "1"),  # over 80: the elderly allowance work list
    Person(2, "甲二芳", "1975-06-11", "2"),
    Person(3, "甲三强", "1988-09-21", "1"),
    Person(4, "甲四梅", "1943-12-30", "2"),
    Person(5, "甲五军", "1999-01-17", "1"),
    Person(6, "甲六兰", "1962-04-08", "2"),
]
Y_PEOPLE = [Person(7, "乙七华", "1980-03-15", "1", "370611"), Person(8, "乙八霞", "1991-07-07", "2", "370611")]


def a_row(p: Person) -> list[str]:
    grid = "示例社区01第01网格" if p.n % 2 else "示例社区02第02网格"
    return [p.name, p.id_number, "男" if p.sex == "1" else "女", "汉族", p.born, f"1391122{p.n:04d}",
            f"芝罘区东山街道甲户籍路{p.n}号", f"东山街道甲住巷{p.n}号院", grid]  # fmt: skip


def y_row(p: Person) -> list[str]:
    """Y's row of a person: Y's own phone and addresses; A's people under the name Y knows them by (乙称...)."""
    name = p.name if p.area == "370611" else f"乙称{p.name[1:]}"
    return [name, p.id_number, "男" if p.sex == "1" else "女", "汉族", p.born, f"1507733{p.n:04d}",
            f"福山区清洋街道乙户籍路{p.n}号", f"清洋街道乙住巷{p.n}号", "示例社区01第01网格"]  # fmt: skip


A_HOUSES = [["HA0001", "东山街道甲房巷1号", A_PEOPLE[2].name, A_PEOPLE[2].id_number, "示例社区01第01网格"],
            ["HA0002", "东山街道甲房巷2号", A_PEOPLE[0].name, A_PEOPLE[0].id_number, "示例社区01第01网格"]]  # fmt: skip
Y_HOUSES = [["HY0001", "清洋街道乙房巷1号", "乙称二芳", A_PEOPLE[1].id_number, "示例社区01第01网格"]]


@dataclass
class Secrets:
    """A's clear values that county Y's users must never receive (Y's own uploads left out)."""

    id_numbers: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)

    def all(self) -> dict[str, str]:
        """{value: what it is}."""
        return (
            dict.fromkeys(self.id_numbers, "A's ID number")
            | dict.fromkeys(self.names, "A's name")
            | dict.fromkeys(self.phones, "A's phone")
            | dict.fromkeys(self.addresses, "A's address")
        )


def secrets() -> Secrets:
    uploaded_by_y = {p.id_number for p in A_PEOPLE[:SHARED]}
    rows = [a_row(p) for p in A_PEOPLE]
    return Secrets(
        id_numbers=[r[1] for r in rows if r[1] not in uploaded_by_y],
        names=[r[0] for r in rows],  # Y names A's people otherwise
        phones=[r[5] for r in rows],
        addresses=[r[6] for r in rows] + [r[7] for r in rows] + [h[1] for h in A_HOUSES],
    )


def upload(user, township: str, path: Path) -> Batch:
    """The collector's web upload (small files are verified inline); the new batch."""
    client = Client()
    client.force_login(user)
    with open(path, "rb") as fh:
        response = client.post(reverse("collection:batch_upload"), {"file": fh, "region": township})
    assert response.status_code == 302, response.content.decode()[:2000]
    return Batch.objects.order_by("-pk").first()


def approve(officer, batch: Batch) -> None:
    """The officer's 入库预览, then the approval confirmed from it (the batch merges inline)."""
    client = Client()
    client.force_login(officer)
    assert client.get(reverse("collection:review_preview", args=[batch.pk])).status_code == 200
    confirm = {"confirm": f"{batch.valid}-{batch.invalid}"}
    assert client.post(reverse("collection:review_approve", args=[batch.pk]), confirm).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "merged", batch.status


@dataclass
class Cast:
    collector_a: object
    officer_x: object
    collector_y: object
    officer_y: object
    nobody: object
    client_y_token: str


def build(tmp_path: Path) -> Cast:
    """The whole scenario (about two seconds); returns the users who crawl."""
    generate_sample_villages([TOWNSHIP_A, TOWNSHIP_Y], villages=2, grids=2)
    load_rules()
    load_reports()
    collector_a = make_user("crawl_collector_a", Role.COLLECTOR, TOWNSHIP_A)
    officer_x = make_user("crawl_officer_x", Role.OFFICER, COUNTY_A)
    grid_worker_a = make_user("crawl_grid_worker_a", Role.GRID_WORKER, GRID_A)
    collector_y = make_user("crawl_collector_y", Role.COLLECTOR, TOWNSHIP_Y)
    officer_y = make_user("crawl_officer_y", Role.OFFICER, OTHER_COUNTY)
    nobody = make_user("crawl_nobody")

    people_a = write_xlsx(tmp_path / "a_people.xlsx", [a_row(p) for p in A_PEOPLE], P0101_HEADERS)
    approve(officer_x, upload(collector_a, TOWNSHIP_A, people_a))
    houses_a = write_xlsx(tmp_path / "a_houses.xlsx", A_HOUSES, H0101_HEADERS, sheet="房屋基本信息")
    approve(officer_x, upload(collector_a, TOWNSHIP_A, houses_a))
    evaluate_rules(acting_user=officer_x)
    _a_side_effects(collector_a, officer_x, grid_worker_a)

    shared = [y_row(p) for p in A_PEOPLE[:SHARED]]
    people_y = write_xlsx(tmp_path / "y_people.xlsx", [*shared[:1], y_row(Y_PEOPLE[0])], P0101_HEADERS)
    approve(officer_y, upload(collector_y, TOWNSHIP_Y, people_y))  # conflicts with A's records
    migrants = [[r[0], r[1], r[2], r[4], r[5], r[6], r[7], r[8]] for r in shared[1:]]  # A's person, Y's values
    approve(officer_y, upload(collector_y, TOWNSHIP_Y, write_xlsx(tmp_path / "y_p0102.xlsx", migrants, P0102_HEADERS,
                                                                  sheet="流动人口")))  # fmt: skip
    houses_y = write_xlsx(tmp_path / "y_houses.xlsx", Y_HOUSES, H0101_HEADERS, sheet="房屋基本信息")
    approve(officer_y, upload(collector_y, TOWNSHIP_Y, houses_y))
    pending = write_xlsx(tmp_path / "y_pending.xlsx", [*shared, y_row(Y_PEOPLE[1])], P0101_HEADERS)
    upload(collector_y, TOWNSHIP_Y, pending)  # verified, conflict warnings, waiting for review
    evaluate_rules(acting_user=officer_y)
    _y_client, raw = create_client(
        name="福山区测试应用", subcategories=Subcategory.objects.filter(code__in=("P0101", "H0101")),
        region=OTHER_COUNTY, max_sensitivity=Sensitivity.PERSONAL, acting_user=None,
    )  # fmt: skip
    return Cast(collector_a, officer_x, collector_y, officer_y, nobody, raw)


def _a_side_effects(collector_a, officer_x, grid_worker_a) -> None:
    """What else township A's people leave behind: an API client's reads, its webhook and deliveries (their payload
    A's records in clear), a reveal, a confirmed report, a correction from the field, a rule granted to a client."""
    from basedb.models import Record
    from matching.grants import grant_rule
    from regions.models import Region
    from reports.confirmation import confirm_report
    from reports.filling import fill_report
    from reports.formbook import definition_of
    from reports.models import ReportForm

    client_x, raw = create_client(
        name="芝罘区测试应用", subcategories=Subcategory.objects.filter(code__in=("P0101", "H0101")),
        region=COUNTY_A, max_sensitivity=Sensitivity.PERSONAL, acting_user=None,
    )  # fmt: skip
    api, token = Client(), {"Authorization": f"Token {raw}"}
    assert api.get("/api/v1/records/?subcategory=P0101", headers=token).status_code == 200
    with override_settings(SHARING_WEBHOOK_ALLOWED_NETWORKS=["127.0.0.1/32"]):  # registered, never called
        hook = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/hook"}, "application/json", headers=token)
    assert hook.status_code == 201, hook.content.decode()
    Webhook.objects.filter(pk=hook.json()["id"]).update(cursor=0)  # its deliveries: every change of A's records
    grant_rule(client_x, Rule.objects.order_by("code").first(), acting_user=None)
    record = Record.objects.filter(region_id=TOWNSHIP_A, subcategory__code="P0101").order_by("pk").first()
    web = Client()
    web.force_login(collector_a)
    web.post(reverse("sharing:record_reveal", args=[record.pk]), {"reason": "verify"})
    for form in ReportForm.objects.order_by("code"):
        region = Region.objects.get(code=COUNTY_A)
        confirm_report(form, fill_report(definition_of(form), region, date.today()), acting_user=officer_x)
    web.force_login(grid_worker_a)
    placed = Record.objects.filter(place_id=GRID_A, subcategory__code="P0101").order_by("pk").first()
    if placed is not None:
        address = reverse("gridwork:correct", args=[placed.entity.public_id, placed.subcategory.code])
        sent = web.post(address, {"item_1": "phone", "value_1": "13999990000", "reason": "电话已变更"})
        assert sent.status_code == 302, f"the grid worker's correction was not taken: {sent.status_code}"
    assert scan_webhooks(), "the webhook of A's client has no delivery to hold A's records"
