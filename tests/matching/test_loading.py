"""`manage.py load_rules`: the shipped rules load, a second run changes nothing, versions record what changed."""

import io
import shutil

import pytest
import yaml
from django.core.management import CommandError, call_command

from catalog.specs_build import current_specs
from matching.choices import VersionSource
from matching.definition import parse_rule
from matching.evaluation import definition_of
from matching.loader import RULES_DIR
from matching.models import Fact, Rule
from matching.rulebook import save_rule

pytestmark = pytest.mark.django_db
PINNED = ("medical_insurance_gap", "elderly_allowance_gap", "deceased_still_paid", "disability_subsidy_gap")


def load(*args) -> str:
    out = io.StringIO()
    call_command("load_rules", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_at_least_twelve_rules_ship_with_the_four_pinned_ones_and_a_policy_basis_each(rules_loaded):
    rules = Rule.objects.all()
    assert rules.count() >= 12
    assert set(PINNED) <= set(rules.values_list("code", flat=True))
    assert all(len(r.basis) > 30 and "《" in r.basis for r in rules)


def test_the_pinned_rules_mean_exactly_what_the_issue_says(rules_loaded):
    defs = {code: definition_of(Rule.objects.get(code=code)) for code in PINNED}
    gap = defs["medical_insurance_gap"]
    assert (gap.subject, gap.when, gap.has, gap.has_any) == ("P0101", (), (), ())
    assert [p.subcategory for p in gap.has_none] == ["P0307", "P0106"]
    elderly = defs["elderly_allowance_gap"]
    assert [(a.op, a.years) for a in elderly.ages()] == [("gte", 80)] and len(elderly.when) == 1
    assert [p.subcategory for p in elderly.has_none] == ["P0305", "P0106"]
    paid = defs["deceased_still_paid"]
    assert (paid.subject, paid.when, paid.has, paid.has_none) == ("P0106", (), (), ())
    assert [p.subcategory for p in paid.has_any] == ["P0301", "P0304", "P0305", "P0313"]
    disabled = defs["disability_subsidy_gap"]
    assert (disabled.subject, disabled.when) == ("P0209", ())
    assert [p.subcategory for p in disabled.has] == ["P0301"] and [p.subcategory for p in disabled.has_none] == [
        "P0304"
    ]
    assert not any(p.conditions for d in defs.values() for p in (*d.has, *d.has_any, *d.has_none))


def test_a_second_load_says_nothing_changed(rules_loaded):
    assert load().startswith("规则未变化（")
    assert all(r.version == 1 for r in Rule.objects.all())


def test_a_changed_file_makes_a_new_version_with_its_diff(rules_loaded, tmp_path):
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    path = tmp_path / "rules" / "elderly_allowance_gap.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["deadline_days"] = 45
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "更新规则 1 条：elderly_allowance_gap" in load("--path", str(tmp_path / "rules"))
    rule = Rule.objects.get(code="elderly_allowance_gap")
    assert (rule.version, rule.deadline_days) == (2, 45)
    assert rule.current_version.changes == {"deadline_days": [30, 45]}


def test_a_web_edit_is_kept_unless_forced(rules_loaded, platform_admin):
    rule = Rule.objects.get(code="medical_insurance_gap")
    data = rule.definition | {"name": "医保扩面（页面修改）"}
    definition = parse_rule(data, specs=current_specs(), facts=Fact.objects.values_list("code", flat=True))
    save_rule(definition, source=VersionSource.WEB, acting_user=platform_admin)
    assert "保留页面版本" in load()
    assert Rule.objects.get(code="medical_insurance_gap").name == "医保扩面（页面修改）"
    load("--force")
    assert Rule.objects.get(code="medical_insurance_gap").version == 3


def test_an_invalid_file_stops_the_load_with_every_error(rules_loaded, tmp_path):
    shutil.copytree(RULES_DIR, tmp_path / "rules")
    (tmp_path / "rules" / "broken.yaml").write_text("code: broken_rule\nname: 坏规则\nsubject: P0101\n", "utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError, match="规则文件有 3 处错误"):
        call_command("load_rules", "--path", str(tmp_path / "rules"), stdout=io.StringIO(), stderr=err)
    assert "broken.yaml：department：必填" in err.getvalue()
    assert not Rule.objects.filter(code="broken_rule").exists()
