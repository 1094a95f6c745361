"""Opening an upload ahead in a thread (collection.pipeline.opening.OpenAhead), as `import_workbook` does while it
imports the rest of the pipeline: the same workbook, the same results and the same refusals as opening it in the
caller's thread."""

import gc
import io
import threading

import pytest
from django.core.management import call_command

from collection.management.commands.import_workbook import Command
from collection.pipeline import opening
from collection.pipeline.guard import check_upload
from collection.pipeline.opening import OpenAhead, likely_table_sheet
from collection.pipeline.run import open_upload, process_sheet, recognise_tables
from collection.pipeline.types import RejectedFile
from tests.collection import workbooks as W
from tests.collection.intake_fixtures import DATA
from tests.collection.sample_rows import sheet_rows
from tests.collection.test_run import TODAY

SAMPLES = ["sample_p0101_messy.xlsx", "sample_p0101_legacy.xls", "sample_p0101_gbk.csv", "sample_multi_sheet.xlsx"]


def _verified(workbook, specs):
    out = []
    for recognition in recognise_tables(workbook, specs):
        chunks = list(process_sheet(workbook, recognition, today=TODAY, parallel=False))
        out.append((recognition.sheet_name, recognition.spec.code, [c.frame.to_dict("records") for c in chunks],
                    [i for c in chunks for i in c.issues]))  # fmt: skip
    return out


@pytest.mark.parametrize("name", SAMPLES)
def test_a_workbook_opened_ahead_gives_what_opening_it_here_gives(specs, name):
    path = DATA / name
    ahead = OpenAhead(path, name)
    opened = ahead.result()
    assert opened.guarded == check_upload(path, name)
    here = open_upload(path, name)
    there = open_upload(path, name, ahead)
    assert (there.format, there.sheet_names, there.template_meta, there.encoding) == (
        here.format, here.sheet_names, here.template_meta, here.encoding)  # fmt: skip
    assert _verified(there, specs) == _verified(here, specs)
    assert _verified(there, specs)[0][3] or name != "sample_p0101_messy.xlsx"  # the messy sample has issues


@pytest.mark.parametrize(
    ("builder", "fmt"), [("with_backslashes", "xlsx"), ("write_ods", "ods"), ("write_xlsb", "xlsb")]
)
def test_a_workbook_opened_ahead_is_opened_by_what_it_is(specs, tmp_path, builder, fmt):
    path = tmp_path / "名单.xls"  # the name says .xls: the content decides
    if builder == "with_backslashes":
        W.with_backslashes(DATA / "sample_p0101_clean.xlsx", path)
    else:
        getattr(W, builder)(path, sheet_rows("sample_p0101_clean.xlsx")[:6], "户籍人口")
    ahead = OpenAhead(path, path.name)
    assert ahead.result().guarded.format == fmt and ahead.result().sheets
    assert _verified(open_upload(path, path.name, ahead), specs) == _verified(open_upload(path, path.name), specs)


def test_the_likely_table_sheet_is_parsed_ahead_and_not_parsed_again(monkeypatch):
    name = "sample_multi_sheet.xlsx"
    ahead = OpenAhead(DATA / name, name)
    parsed = ahead.result().sheets
    assert list(parsed) == [likely_table_sheet(ahead.result().book.sheet_names)]
    calls = []
    monkeypatch.setattr(opening, "load_sheet", lambda *a: calls.append(a) or pytest.fail("parsed again"))
    workbook = open_upload(DATA / name, name, ahead)
    assert workbook.sheet(next(iter(parsed))) is parsed[next(iter(parsed))]
    assert calls == []


def test_instruction_sheets_are_not_the_likely_table():
    assert likely_table_sheet(["填表说明", "户籍人口"]) == "户籍人口"
    assert likely_table_sheet(["户籍人口"]) == "户籍人口"
    assert likely_table_sheet([]) is None


def test_a_refusal_found_ahead_is_raised_in_the_callers_thread_with_its_chinese_message(tmp_path):
    path = tmp_path / "名单.xlsx"
    path.write_text("<!DOCTYPE html><html><body>不是工作簿</body></html>")
    with pytest.raises(RejectedFile) as here:
        open_upload(path, path.name)
    ahead = OpenAhead(path, path.name)
    ahead.wait_guarded(timeout=10)
    with pytest.raises(RejectedFile) as there:
        open_upload(path, path.name, ahead)
    assert (there.value.message, there.value.code) == (here.value.message, here.value.code)
    assert threading.current_thread() is threading.main_thread()


def test_an_ahead_opening_of_another_file_is_not_used(tmp_path):
    other = tmp_path / "别的.xlsx"
    other.write_bytes(b"not a workbook")
    ahead = OpenAhead(other, other.name)
    name = "sample_p0101_clean.xlsx"
    workbook = open_upload(DATA / name, name, ahead)  # the sample is opened here; the other file's refusal is moot
    assert workbook.format == "xlsx"


def test_only_a_process_of_its_own_freezes_its_objects_for_the_collector(monkeypatch):
    """gc.freeze() would keep a test session's garbage forever: call_command never freezes, the command line does."""
    frozen = []
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(True))
    command = Command()
    with pytest.raises(SystemExit):  # a missing file: exit 2, after the freeze
        command.run_from_argv(["manage.py", "import_workbook", "/nonexistent.xlsx", "--region", "370602002"])
    assert frozen == [True]
    frozen.clear()
    with pytest.raises(SystemExit):
        call_command("import_workbook", "/nonexistent.xlsx", "--region", "370602002", stderr=io.StringIO())
    assert frozen == []


def test_the_early_opening_knows_every_option_of_the_command_that_takes_a_value():
    """manage.py finds the file among the arguments before Django starts; an option missing from VALUE_OPTIONS
    would make its value look like the file."""
    parser = Command().create_parser("manage.py", "import_workbook")
    with_value = [action for action in parser._actions if action.option_strings and action.nargs != 0]
    takes_value = {option for action in with_value for option in action.option_strings}
    assert takes_value - {"--settings", "-h", "--help"} <= opening.VALUE_OPTIONS


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        (["a.xlsx", "--region", "370602002", "--dry-run", "--json"], "a.xlsx"),
        (["--region", "370602002", "--subcategory", "P0101", "a.xlsx"], "a.xlsx"),
        (["--region=370602002", "a.xlsx", "--report", "out.xlsx", "-v", "2"], "a.xlsx"),
        (["a.xlsx", "--settings", "other.settings"], None),  # the guard must read the other settings
        (["a.xlsx", "b.xlsx"], None),
        (["--region", "370602002"], None),
    ],
)
def test_the_file_is_found_among_the_arguments(arguments, path):
    assert opening.path_argument(arguments) == path


def test_an_early_opening_is_taken_once_and_only_for_its_file(monkeypatch):
    monkeypatch.setattr(opening, "_early", [])
    name = "sample_p0101_clean.xlsx"
    opening.start_early([str(DATA / name), "--region", "370602002"])
    assert opening.take_early(DATA / "sample_p0101_messy.xlsx", "sample_p0101_messy.xlsx") is None
    opening.start_early([str(DATA / name), "--region", "370602002"])
    ahead = opening.take_early(DATA / name, name)
    assert ahead is not None and ahead.result().guarded.format == "xlsx"
    assert opening.take_early(DATA / name, name) is None
    opening.start_early(["/nonexistent.xlsx", "--region", "370602002"])
    assert opening._early == []


def test_manage_py_opens_the_file_before_django_starts(monkeypatch):
    import runpy

    started = []
    monkeypatch.setattr(opening, "start_early", lambda arguments: started.append(list(arguments)))
    monkeypatch.setattr("django.core.management.execute_from_command_line", lambda argv: None)
    monkeypatch.setattr("sys.argv", ["manage.py", "import_workbook", "a.xlsx", "--region", "370602002"])
    runpy.run_path(str(DATA.parent.parent / "manage.py"), run_name="__main__")
    assert started == [["a.xlsx", "--region", "370602002"]]
