"""Reading in a forked child while verifying here (collection.pipeline.parallel): same results, failures surfaced.

The parallel path is forced on the real sample workbooks (the size thresholds are lowered) and compared with the
serial path cell by cell and issue by issue.
"""

import os
import signal
import time
from collections import Counter

import pandas as pd
import pytest

from collection.pipeline import parallel, run
from collection.pipeline.run import open_upload, process_sheet, recognise_tables
from collection.pipeline.types import RejectedFile
from tests.collection.intake_fixtures import DATA, EXPECTED  # noqa: F401
from tests.collection.test_run import TODAY

pytestmark = pytest.mark.skipif(not parallel.available(), reason="needs fork and a second CPU")

SAMPLES = ["sample_p0101_messy.xlsx", "sample_p0101_legacy.xls", "sample_p0101_gbk.csv", "sample_h0101_houses.xlsx"]


def _results(name, specs, *, parallel_read, monkeypatch, chunk_size=7):
    monkeypatch.setattr(run, "PARALLEL_MIN_ROWS", 0 if parallel_read else 10**9)
    monkeypatch.setattr(run, "PARALLEL_MIN_CSV_BYTES", 0 if parallel_read else 10**12)
    forks = []
    real = parallel.iterate_in_child
    monkeypatch.setattr(parallel, "iterate_in_child", lambda *a, **k: forks.append(1) or real(*a, **k))
    workbook = open_upload(DATA / name, name)
    [recognition] = recognise_tables(workbook, specs)
    chunks = list(process_sheet(workbook, recognition, today=TODAY, chunk_size=chunk_size))
    # The forked reader's first chunk is smaller (verifying starts sooner): compare rows, not chunk boundaries.
    rows = [row for c in chunks for row in c.frame.astype(object).where(c.frame.notna(), None).to_dict("records")]
    issues = [issue for chunk in chunks for issue in chunk.issues]
    corrections = [correction for chunk in chunks for correction in chunk.corrections]
    counts = (sum(c.rows for c in chunks), sum((c.correction_counts for c in chunks), Counter()))
    return bool(forks), rows, issues, corrections, counts


@pytest.mark.parametrize("name", SAMPLES)
def test_the_forked_reader_gives_exactly_what_the_serial_reader_gives(specs, monkeypatch, name):
    forked, *parallel_results = _results(name, specs, parallel_read=True, monkeypatch=monkeypatch)
    serial, *serial_results = _results(name, specs, parallel_read=False, monkeypatch=monkeypatch)
    assert forked and not serial
    assert parallel_results == serial_results
    assert parallel_results[1], "the sample has issues to compare"


@pytest.mark.parametrize("name", SAMPLES)
def test_whole_sheets_in_one_chunk_give_the_same_results_forked_with_factorised_columns(specs, monkeypatch, name):
    """One big chunk per sheet: columns of few distinct values (sex, ethnicity, codes) then travel factorised and
    arrive as categoricals, which verification must treat exactly like the serial path's object columns."""
    categoricals = []
    real = parallel._categorical
    monkeypatch.setattr(parallel, "_categorical", lambda *a: categoricals.append(1) or real(*a))
    forked, *parallel_results = _results(name, specs, parallel_read=True, monkeypatch=monkeypatch, chunk_size=10**6)
    serial, *serial_results = _results(name, specs, parallel_read=False, monkeypatch=monkeypatch, chunk_size=10**6)
    assert forked and not serial
    assert parallel_results == serial_results
    assert categoricals or name.endswith(".csv")  # workbooks' few-valued columns did travel factorised


def test_small_tables_are_read_in_this_process(specs, monkeypatch):
    forked, *_ = _results("sample_p0101_messy.xlsx", specs, parallel_read=False, monkeypatch=monkeypatch)
    assert not forked
    name = "sample_p0101_messy.xlsx"
    workbook = open_upload(DATA / name, name)
    [recognition] = recognise_tables(workbook, specs)
    assert not run._worth_a_reader(workbook, recognition)  # a few dozen rows, far under PARALLEL_MIN_ROWS


def test_a_rejection_in_the_child_reaches_the_caller_with_its_chinese_message():
    def produce():
        yield 1
        raise RejectedFile("文件第 3 行无法读取，请另存后重新上传。", code="broken_csv")

    items = parallel.iterate_in_child(produce)
    assert next(items) == 1
    with pytest.raises(RejectedFile) as caught:
        next(items)
    assert caught.value.message == "文件第 3 行无法读取，请另存后重新上传。"
    assert caught.value.code == "broken_csv"


def test_an_unexpected_error_in_the_child_is_raised_with_its_traceback():
    def produce():
        yield {"a": 1}
        raise ValueError("boom")

    items = parallel.iterate_in_child(produce)
    assert next(items) == {"a": 1}
    with pytest.raises(RuntimeError, match="ValueError: boom"):
        next(items)


def test_a_child_killed_mid_file_is_an_error_not_a_short_file():
    def produce():
        yield os.getpid()
        time.sleep(60)
        yield "never"

    items = parallel.iterate_in_child(produce)
    child = next(items)
    assert child != os.getpid()
    os.kill(child, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="读取进程意外退出"):
        next(items)


def test_closing_the_iterator_early_stops_the_child():
    def produce():
        for n in range(10**9):
            yield os.getpid() if n == 0 else n

    items = parallel.iterate_in_child(produce)
    child = next(items)
    next(items)
    items.close()
    with pytest.raises(ProcessLookupError):
        os.kill(child, 0)  # gone and reaped: no zombie left behind


PARENT = """
import itertools, sys
from collection.pipeline import parallel
rows = parallel.iterate_in_child(lambda: (b"x" * 1_000_000 for _ in itertools.count()))
next(rows)
print(*[p.pid for p in __import__("multiprocessing").active_children()], flush=True)
sys.stdin.read()
"""


def test_a_child_whose_parent_is_killed_ends_instead_of_blocking_for_ever():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    parent = subprocess.Popen([sys.executable, "-c", PARENT], cwd=root, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    parent.kill()  # kill -9 of the worker while its reader has chunks to send
    parent.wait()
    deadline = time.monotonic() + 10
    while _running(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = _running(child)
    if left:
        os.kill(child, signal.SIGKILL)  # the orphan this test made
    assert not left, "the reader outlived its killed parent"


def _running(pid: int) -> bool:
    from pathlib import Path

    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False


def test_on_started_runs_in_the_parent_once_the_child_exists():
    started = []

    def produce():
        yield len(started)  # the child was forked before on_started ran

    items = parallel.iterate_in_child(produce, on_started=lambda: started.append(os.getpid()))
    assert list(items) == [0]
    assert started == [os.getpid()]


def _rows_like_calamine(count: int) -> list[list]:
    """Rows as python-calamine gives them: "" for an empty cell, str, float, int, bool, date and datetime cells."""
    import datetime

    rows = []
    for n in range(count):
        rows.append([
            f"姓名{n}",  # mostly distinct text: joined as it stands
            ["男", "女", ""][n % 3],  # few distinct values, empty cells among them: coded
            "",  # an empty column: coded, all None
            [" 带空格 ", "\u3000全角空格", "两个  空格"][n % 3],  # whitespace is kept for normalisation to count
            datetime.date(1990, 1, 1 + n % 28) if n % 5 else "1990年1月1日",  # date cells among text: cell text
            2.22401195703155e17 if n == 3 else f"37060219900101{n:04d}",  # an ID that went through a number cell
            [True, False][n % 2] if n % 7 == 0 else "是",  # a boolean cell
            "a\x1fb" if n == 5 else "x",  # the separator inside a value: sent as an array
            float(n) if n % 4 == 0 else n,  # numbers
        ])  # fmt: skip
    return rows


@pytest.mark.parametrize("count", [1, 2, 9, 40])
def test_rows_packed_in_the_child_unpack_to_exactly_the_raw_frame(count):
    from collection.pipeline import read

    rows = _rows_like_calamine(count)
    numbers = list(range(3, 3 + count))
    positions = [0, 1, 2, 3, 4, 5, 6, 7, 8, 12]  # 12: a mapped column beyond the used range
    keys = [f"k{p}" for p in positions]
    expected = read.raw_frame([list(r) for r in rows], numbers, positions, keys)
    packed = parallel.pack_rows(rows, numbers, positions, keys)
    got = parallel.unpack_frame(packed)
    assert list(got.columns) == list(expected.columns)
    coded = [key for key, (kind, _) in packed["columns"].items() if kind == "coded"]
    assert all(isinstance(got[key].dtype, pd.CategoricalDtype) for key in coded)  # the same cells, factorised
    plain = got.astype(dict.fromkeys(coded, object))
    plain[coded] = plain[coded].where(plain[coded].notna(), None)
    assert (plain.dtypes == expected.dtypes).all()
    assert plain.to_dict("records") == expected.to_dict("records")
    if count == 40:  # each way of packing was exercised
        kinds = {key: kind for key, (kind, _) in packed["columns"].items()}
        assert kinds["k0"] == "text" and kinds["k1"] == "coded" and kinds["k2"] == "coded"
        assert kinds["k7"] == "array" and kinds["k12"] == "array"


def test_ragged_rows_take_the_general_path():
    from collection.pipeline import read

    rows = [["张三", "男"], ["李四"], ["王五", "女", "多余"]]
    expected = read.raw_frame([list(r) for r in rows], [3, 4, 5], [0, 1], ["name", "sex"])
    got = parallel.unpack_frame(parallel.pack_rows(rows, [3, 4, 5], [0, 1], ["name", "sex"]))
    assert got.to_dict("records") == expected.to_dict("records")
