"""Duplicates inside one file: the same dedup key on two rows makes the later row an error naming the earlier one."""

from itertools import repeat

import numpy as np
import pandas as pd


class InFileKeys:
    """Remembers the first Excel row of each dedup key across all chunks of one sheet.

    Memory stays light: one dict entry (key string -> row number) per distinct key, no per-cell objects.
    """

    def __init__(self) -> None:
        self._first_rows: dict[str, int] = {}

    @property
    def size(self) -> int:
        """How many distinct keys were seen (no __len__: an empty register must not be falsy)."""
        return len(self._first_rows)

    def first_row(self, key: str) -> int | None:
        return self._first_rows.get(key)

    def register(self, keys: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Record the keys of one chunk (in row order; None = no key) and return, per row, the Excel row of an
        earlier occurrence of the same key (0 where the row is the first or has no key). Column-wise: the chunk's
        keys are factorised, and the register is consulted once per distinct key."""
        rows = np.asarray(rows, dtype=np.int64)
        earlier = np.zeros(len(keys), dtype=np.int64)
        positions = np.flatnonzero(~np.equal(keys, None))
        if not len(positions):
            return earlier
        codes, distinct = pd.factorize(np.asarray(keys, dtype=object)[positions])
        _, first_index = np.unique(codes, return_index=True)  # first position of each distinct key in the chunk
        first_in_chunk = rows[positions][first_index]
        distinct = distinct.tolist()
        known = np.fromiter(map(self._first_rows.get, distinct, repeat(0)), dtype=np.int64, count=len(distinct))
        first = np.where(known > 0, known, first_in_chunk)
        first_of_row = first[codes]
        duplicate = first_of_row != rows[positions]
        earlier[positions[duplicate]] = first_of_row[duplicate]
        new = np.flatnonzero(known == 0)
        self._first_rows.update(zip([distinct[i] for i in new], first_in_chunk[new].tolist(), strict=True))
        return earlier
