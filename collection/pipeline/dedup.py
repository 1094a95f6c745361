"""Duplicates inside one file: the same dedup key on two rows makes the later row an error naming the earlier one."""

import numpy as np


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
        earlier occurrence of the same key (0 where the row is the first or has no key)."""
        earlier = np.zeros(len(keys), dtype=np.int64)
        first_rows = self._first_rows
        for position in np.flatnonzero(~np.equal(keys, None)):
            row = int(rows[position])
            first = first_rows.setdefault(keys[position], row)
            if first != row:
                earlier[position] = first
        return earlier
