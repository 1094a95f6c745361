"""Reading a big sheet in a second process while this one verifies (two cores, one pipeline).

Turning calamine's cells into the raw-frame contract (row iteration, cell text, numpy columns) and verifying the
frames both hold the GIL, so threads cannot overlap them; a forked child can. The child inherits the opened upload
(the sheet calamine already parsed while recognising it is shared copy-on-write, not parsed again), packs each
chunk of rows for the pipe (pack_rows) and sends it; this process unpacks it into a raw frame and verifies frame k
while the child reads frame k+1. The pipe
holds at most one frame in flight, so memory stays bounded by a couple of chunks whatever the file's size.

The child never touches the database or Django: it only reads the file, and it leaves through os._exit (what
multiprocessing's fork start does), so the parent's database connections and temporary files are never closed by
it. Where fork is not available (or the machine has one core) the rows are read in this process, as before.
"""

import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from . import read
from .types import RejectedFile

_ITEM, _DONE, _REJECTED, _FAILED = "item", "done", "rejected", "failed"


def available() -> bool:
    """True when a forked reader can overlap this process (a fork start method and a second CPU)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def iterate_in_child(
    produce: Callable[[], Iterator],
    *,
    on_started: Callable[[], None] | None = None,
    pack: Callable | None = None,
    unpack: Callable | None = None,
) -> Iterator:
    """Yield what `produce()` yields, computed in a forked child process, in order.

    A RejectedFile raised by the producer is raised here with its Chinese message and code; any other failure of
    the child (an exception, or the child killed) raises RuntimeError here. Closing the iterator early stops the
    child. `on_started` runs here once the child exists (e.g. to free what only the child needs now). `pack` runs
    in the child on each item before it is pickled, `unpack` here after (see pack_frame).
    """
    pack, unpack = pack or _same, unpack or _same
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_produce, args=(produce, pack, sender, receiver), name="grassroots-reader", daemon=True
    )
    child.start()
    sender.close()  # the child holds the only writing end: its death shows here as EOF
    try:
        if on_started is not None:
            on_started()
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                child.join()
                raise RuntimeError(f"读取进程意外退出（退出码 {child.exitcode}）") from None
            if kind == _ITEM:
                yield unpack(payload)
            elif kind == _DONE:
                return
            elif kind == _REJECTED:
                raise RejectedFile(payload[0], code=payload[1])
            else:
                raise RuntimeError(f"读取进程出错：\n{payload}")
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _same(item):
    return item


def _produce(produce: Callable[[], Iterator], pack: Callable, sender, receiver) -> None:
    """The child's body: send every item, then DONE, or the failure.

    The reading end inherited through fork is closed first: the parent must hold the only one, so that a parent
    killed (kill -9 of the worker) leaves the pipe without a reader and the child's next send fails and ends it,
    instead of blocking for ever on a full pipe that the child itself keeps open."""
    receiver.close()
    try:
        for item in produce():
            sender.send((_ITEM, pack(item)))
        sender.send((_DONE, None))
    except RejectedFile as exc:
        sender.send((_REJECTED, (exc.message, exc.code)))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the parent stopped reading (closed the iterator): nothing left to tell it
    except BaseException:
        sender.send((_FAILED, traceback.format_exc()))
    finally:
        sender.close()


# ---------------------------------------------------------------------------------------------------------------
# Raw frames through the pipe: pickling an object column pickles every string one by one (≈ 0.6 s per 100,000
# rows × 14 columns, as much as reading them); one joined string per column costs a third of that both ways.

_SEP = "\x1f"  # the unit separator: a control character that cannot occur in .xlsx cell text


def pack_frame(frame: pd.DataFrame) -> dict:
    """A raw frame (object columns of str/None, other columns numeric) as one joined string per text column.

    A column that cannot be joined losslessly (a non-str value, an empty string, the separator inside a value) is
    sent as its array instead, so the frame that arrives is always equal to the frame sent.
    """
    columns = {}
    for name in frame.columns:
        values = frame[name].to_numpy()
        columns[name] = _pack_text(values) if values.dtype == object else ("array", values)
    index = None if frame.index.equals(pd.RangeIndex(len(frame))) else frame.index
    return {"columns": columns, "rows": len(frame), "index": index}


def _pack_text(values: np.ndarray) -> tuple:
    texts = values.tolist()
    try:
        joined = _SEP.join(["" if text is None else text for text in texts])
    except TypeError:  # a value that is not a str
        return ("array", values)
    if texts and ("" in texts or joined.count(_SEP) != len(texts) - 1):
        return ("array", values)
    return ("text", joined)


def pack_rows(rows: list[list], numbers: list[int], positions: list[int], keys: list[str]) -> dict:
    """What pack_frame(read.raw_frame(rows, numbers, positions, keys)) gives, built from calamine's rows directly.

    A column of text cells (calamine gives an empty cell as "", which unpacking turns into None as cell text does)
    is joined as it stands; a column of few distinct values travels as those values and one small integer per row,
    and arrives as a pandas categorical (the same cells; verifying then needs no hashing of its own); a column
    holding numbers, dates or the separator goes through read.column_text like the serial path. The receiving
    process does less work this way: it is the busier of the two.
    """
    if not rows or len(set(map(len, rows))) != 1:  # empty or ragged: the general path
        return pack_frame(read.raw_frame(rows, numbers, positions, keys))
    width, count = len(rows[0]), len(rows)
    cells = list(zip(*rows, strict=True))  # one tuple per sheet column
    columns = {}
    for key, position in zip(keys, positions, strict=True):
        if not 0 <= position < width:
            columns[key] = ("array", np.full(count, None, dtype=object))
            continue
        column = cells[position]
        columns[key] = _pack_cells(column) or _pack_text(read.object_array(read.column_text(column)))
    columns[read.ROW] = ("array", np.asarray(numbers, dtype=np.int64))
    return {"columns": columns, "rows": count, "index": None}


FEW_DISTINCT = 0.25  # at most this share of distinct values per row: send the distinct values and a code per row


def _pack_cells(column: tuple) -> tuple | None:
    """A column of str cells packed as joined text or as (distinct values, codes); None for any other column."""
    try:
        joined = _SEP.join(column)
    except TypeError:  # a number, date or boolean cell: cell text decides how it reads
        return None
    if joined.count(_SEP) != len(column) - 1:
        return None
    sample = column[:1000]  # names, IDs, addresses: mostly distinct, seen at once
    if len(set(sample)) > FEW_DISTINCT * len(sample):
        return ("text", joined)
    codes, distinct = pd.factorize(np.array(column, dtype=object))
    if len(distinct) > FEW_DISTINCT * len(column):
        return ("text", joined)
    return ("coded", (_SEP.join(distinct.tolist()), codes.astype(np.int32)))


def unpack_frame(packed: dict) -> pd.DataFrame:
    rows = packed["rows"]
    index = packed["index"] if packed["index"] is not None else pd.RangeIndex(rows)
    texts, others = {}, {}
    for name, (kind, data) in packed["columns"].items():
        if kind == "array":
            (texts if data.dtype == object else others)[name] = data
            continue
        if kind == "coded":
            others[name] = _categorical(*data)
            continue
        texts[name] = _split(data, rows)
    # dtype=object keeps None as None (pandas 3 would otherwise infer its str dtype), then the numeric columns.
    frame = pd.DataFrame(texts, index=index, dtype=object, copy=False)
    for name, data in others.items():
        frame[name] = data
    return frame[list(packed["columns"])]


def _categorical(joined: str, codes: np.ndarray) -> pd.Categorical:
    """A coded column as a categorical of its distinct texts, an empty cell ("") as a missing value: verifying
    reuses this factorisation instead of hashing the column again (verify._cells)."""
    distinct = joined.split(_SEP)
    codes = codes.astype(np.int32, copy=True)
    if "" in distinct:
        empty = distinct.index("")
        del distinct[empty]
        codes[codes == empty] = -1
        codes[codes > empty] -= 1
    categories = pd.Index(distinct, dtype=object)
    return pd.Categorical.from_codes(codes, categories=categories, validate=False)


def _split(joined: str, count: int) -> np.ndarray:
    """The values of a joined text column as an object array, "" (an empty cell) as None."""
    values = np.empty(count, dtype=object)
    if count:
        values[:] = joined.split(_SEP)
        values[values == ""] = None
    return values
