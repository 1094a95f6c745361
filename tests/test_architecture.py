"""Dependencies between apps run one way: regions <- catalog <- collection <- basedb <- the apps above it.

The contract is import-linter's (pyproject.toml, run by `make lint`); these tests prove it holds, that it covers every
app of the project, and that it does catch an import against the direction, even one hidden inside a function.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from collection import handoff

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def contract() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_project_imports_keep_to_the_one_way_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_app_of_the_project_is_in_the_import_contract():
    ours = {config.name for config in apps.get_app_configs() if Path(config.path).parent == ROOT}
    layers = contract()["contracts"][0]["layers"]
    # The project package (grassroots) is split: its glue (urls, views) on top, its helpers at the bottom.
    layered = {name.strip().split(".")[0] for layer in layers for name in layer.replace("|", ":").split(":")}
    assert ours <= set(contract()["root_packages"]), "add the app to root_packages in pyproject.toml"
    assert ours <= layered, "add the app to a layer in pyproject.toml (apps above basedb: the line after the glue)"


def test_a_lower_app_importing_a_higher_one_inside_a_function_breaks_the_contract(tmp_path):
    for package in contract()["root_packages"]:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("templates", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / "collection" / "sneaky.py").write_text(
        "def merged():\n    from basedb import merge\n\n    return merge\n"
    )
    result = lint_imports(tmp_path)
    assert result.returncode == 1
    assert "collection.sneaky -> basedb.merge" in result.stdout


def test_the_base_database_registers_itself_for_intake():
    registered = handoff.base_database()
    assert registered.merge_batch.__module__ == "basedb.merge"
    assert registered.preview_rows.__module__ == "basedb.outcomes"


def test_intake_without_a_registered_base_database_fails_loudly(monkeypatch):
    monkeypatch.setattr(handoff, "_registered", None)
    with pytest.raises(ImproperlyConfigured):
        handoff.base_database()
