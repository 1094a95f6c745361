"""Placing the rows of a batch as they are verified: each row gets the lowest region its grid and address items name
(regions/placement.py), stored with the staged row (`place`) and given by the merge to the record it creates.

A grid (or, without one, a location address) that belongs to another township is a warning (the row is still the
uploading township's); for an upload of
a village (a village collector's), a grid outside the village is an error: the row is not the village's to report.
A house code (catalog role house_code) is a warning too when its leading division code is another township's (or
another county's), or when another township already holds its house in the base database; for a village's upload as
for its township's (a code names a township at most, never a village).
"""

from dataclasses import replace

import numpy as np
import pandas as pd

from catalog.choices import EntityKind
from catalog.spec import HOUSE_CODE_ROLE, LOCATION_ROLE, TableSpec
from regions.placement import TOWNSHIP_LENGTH, Placer

from .handoff import base_database
from .pipeline.types import (
    ADDRESS_ELSEWHERE,
    ERROR,
    GRID_ELSEWHERE,
    GRID_OUTSIDE,
    HOUSE_ELSEWHERE,
    WARNING,
    Issue,
    VerifiedChunk,
)

PLACE_COLUMN = "_place"


def grid_elsewhere_message(text: str, township: tuple[str, str]) -> str:
    code, name = township
    return (
        f"所属网格“{text}”是{name}（{code}）的网格，不在本乡镇（街道）。请核对所属网格；"
        f"若此人（户、企业）确在{name}，请由{name}上报"
    )


def grid_outside_message(text: str, floor_name: str) -> str:
    return (
        f"所属网格“{text}”不在{floor_name}，本村（社区）只能上报本村（社区）的数据："
        "请核对所属网格，或交由乡镇（街道）上报"
    )


def address_elsewhere_message(text: str, township: tuple[str, str]) -> str:
    code, name = township
    return f"地址“{text}”在{name}（{code}），不在本乡镇（街道）。请核对地址；若确在{name}，请由{name}上报"


def house_elsewhere_message(text: str, named: tuple[str, str] | None, holders: list[tuple[str, str]]) -> str:
    """`named`: the other township (or county) whose division code the house code starts with; `holders`: the other
    townships holding the house in the base database."""
    listed = "、".join(f"{name}（{code}）" for code, name in holders)
    if named:
        level = "县（市、区）" if len(named[0]) < TOWNSHIP_LENGTH else "乡镇（街道）"
        said = f"房屋编码“{text}”属于{named[1]}（{named[0]}）：编码以该{level}的区划代码开头"
        said += f"，基础库中{listed}也已登记此房屋" if holders else ""
    else:
        said = f"基础库中{listed}已登记房屋编码“{text}”的房屋"
    code, where = named or holders[0]
    by = f"{where}的乡镇（街道）" if len(code) < TOWNSHIP_LENGTH else where
    return f"{said}。此房屋不在本乡镇（街道），请核对房屋编码；若房屋确在{where}，请由{by}上报"


def _first_filled(frame: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series | None:
    """Per row, the first of the columns `keys` that is filled (None when none of them is in the frame)."""
    present = [k for k in keys if k in frame.columns]
    if not present:
        return None
    result = frame[present[0]].astype(object)
    for key in present[1:]:
        empty = result.isna() | (result == "")
        result = result.where(~empty, frame[key].astype(object))
    return result


class RowPlacer:
    """Places the chunks of one batch: `township` (a code, or one per row), `floor` (the uploading village, or None),
    the column each item came from (`column_map` of the batch: element key → {"header", "index"})."""

    def __init__(self, spec: TableSpec, township, *, floor: str | None = None, floor_name: str = "",
                 column_map: dict | None = None, placer: Placer | None = None):  # fmt: skip
        self.grid_keys, self.address_keys = spec.placement_keys
        self.location_keys = spec.keys_with_role(LOCATION_ROLE)
        self.house_keys, self.subcategory = spec.keys_with_role(HOUSE_CODE_ROLE), spec.code
        self.township, self.floor, self.floor_name = township, floor, floor_name or floor or ""
        self.columns = column_map or {}
        self.names = {item.key: item.name for item in spec.items}
        self.placer = placer or Placer()

    def apply(self, chunk: VerifiedChunk, previous=None) -> VerifiedChunk:
        """The chunk with a `_place` column and its placement issues; rows with a placement error become invalid.
        (`previous`: the places the rows had before, used by RoutedPlacer only.)"""
        frame = chunk.frame
        grids = _first_filled(frame, self.grid_keys)
        addresses = [frame[k] for k in self.address_keys if k in frame.columns]
        townships = self.township if isinstance(self.township, str) else self.township.to_numpy(dtype=object)
        written = grids if grids is not None else np.full(len(frame), None, dtype=object)
        placement = self.placer.place(townships, written, addresses, floor=self.floor)
        frame = frame.assign(**{PLACE_COLUMN: placement.places})
        issues = self._issues(frame, grids, placement) + self._address_issues(frame, placement, grids)
        issues += self._house_issues(frame, townships)
        if any(i.severity == ERROR for i in issues):
            frame["_valid"] = frame["_valid"].to_numpy() & ~placement.outside
        merged = sorted([*chunk.issues, *issues], key=lambda i: (i.row or 0, i.column_index or 0))
        return replace(chunk, frame=frame, issues=merged)

    def _issues(self, frame: pd.DataFrame, grids: pd.Series | None, placement) -> list[Issue]:
        if grids is None:
            return []
        key = next(k for k in self.grid_keys if k in frame.columns)
        column, index = self.columns.get(key, {}).get("header", self.names.get(key, key)), self.columns.get(key, {})
        rows, texts = frame["_row"].to_numpy(), grids.to_numpy(dtype=object)
        issues = []
        flagged = placement.outside if self.floor else pd.notna(placement.foreign)
        for position in np.flatnonzero(flagged):
            text = str(texts[position])
            if self.floor:
                rule, severity, message = GRID_OUTSIDE, ERROR, grid_outside_message(text, self.floor_name)
            else:
                rule, severity = GRID_ELSEWHERE, WARNING
                message = grid_elsewhere_message(text, placement.foreign[position])
            issues.append(
                Issue(row=int(rows[position]), column=column, item=key, rule=rule, severity=severity,
                      message=message, value=text, column_index=index.get("index"))
            )  # fmt: skip
        return issues

    def _address_issues(self, frame: pd.DataFrame, placement, grids: pd.Series | None) -> list[Issue]:
        """Warnings for a location address naming another township (a row whose grid already says so is warned
        once, by its grid); each distinct address is looked at once. Ordinary township batches only."""
        if not isinstance(self.township, str) or self.floor:
            return []
        key = next((k for k in self.location_keys if k in frame.columns), None)
        if key is None:
            return []
        texts = frame[key].to_numpy(dtype=object)
        filled = pd.notna(texts) & (texts != "")
        if grids is not None:
            filled &= pd.isna(placement.foreign)
        codes, distinct = pd.factorize(pd.Series(texts[filled]).astype(str))
        elsewhere = np.array([self.placer.township_named(self.township, t) for t in distinct] + [None], dtype=object)
        column, index = self.columns.get(key, {}).get("header", self.names.get(key, key)), self.columns.get(key, {})
        rows, found = frame["_row"].to_numpy()[filled], elsewhere[codes]
        return [
            Issue(row=int(row), column=column, item=key, rule=ADDRESS_ELSEWHERE, severity=WARNING,
                  message=address_elsewhere_message(str(text), other), value=str(text), column_index=index.get("index"))
            for row, text, other in zip(rows, texts[filled], found, strict=True)
            if other is not None
        ]  # fmt: skip

    def _house_issues(self, frame: pd.DataFrame, townships) -> list[Issue]:
        """Warnings for house codes of another township: by the division code they start with, and by the townships
        holding their house in the base database (one query per chunk). A township holding the house's record of
        this subcategory is left out: the 跨乡镇冲突 warning (collection/held_elsewhere.py) names it already."""
        key = next((k for k in self.house_keys if k in frame.columns), None)
        if key is None:
            return []
        texts = frame[key].to_numpy(dtype=object)
        own = np.full(len(frame), townships, dtype=object) if isinstance(townships, str) else townships
        filled = np.flatnonzero(pd.notna(texts) & (texts != "") & pd.notna(own))
        if not len(filled):
            return []
        codes = [str(t) for t in texts[filled]]
        named = self.placer.leading_divisions(codes)
        held = base_database().entity_holders(EntityKind.HOUSE, sorted(set(codes)), self.subcategory)
        column, index = self.columns.get(key, {}).get("header", self.names.get(key, key)), self.columns.get(key, {})
        rows, names, issues = frame["_row"].to_numpy(), self.placer.division_names(), []
        for position, text, prefix in zip(filled, codes, named, strict=True):
            prefix, others = _house_elsewhere(own[position], prefix, held.get(text, {}))
            if prefix is None and not others:
                continue
            message = house_elsewhere_message(text, prefix, [(t, names.get(t, t)) for t in others])
            issues.append(
                Issue(row=int(rows[position]), column=column, item=key, rule=HOUSE_ELSEWHERE, severity=WARNING,
                      message=message, value=text, column_index=index.get("index"))
            )  # fmt: skip
        return issues


def _house_elsewhere(own: str, prefix: tuple[str, str] | None, holders: dict[str, bool]):
    """(the other region the house code starts with, or None; the other townships holding its house) for a row of
    township `own`; `holders`: {township: holds the house's record of the batch's subcategory} (those are left to
    the 跨乡镇冲突 warning, with a prefix they already cover)."""
    conflicting = [t for t, same in holders.items() if same and t != own]
    if prefix is not None and (own.startswith(prefix[0]) or any(t.startswith(prefix[0]) for t in conflicting)):
        prefix = None
    said = prefix[0] if prefix else None
    return prefix, sorted(t for t, same in holders.items() if not same and t not in (own, said))


def _deeper(place, named):
    """`named` when it lies inside `place` (a village named in a row its items placed only in the township)."""
    if isinstance(place, str) and isinstance(named, str) and len(named) > len(place) and named.startswith(place):
        return named
    return place if isinstance(place, str) else None


class RoutedPlacer:
    """Places the chunks of a department's city- or county-wide roster: each row is routed to its township first
    (collection/routing.py), then placed inside it as any township's row is; unrouted rows stay without a place."""

    def __init__(self, spec: TableSpec, area_code: str, *, column_map: dict | None = None):
        from .routing import Router

        self.router = Router(spec, area_code, column_map=column_map)
        self.placer = RowPlacer(spec, None, column_map=column_map)

    def apply(self, chunk: VerifiedChunk, previous=None) -> VerifiedChunk:
        """`previous`: a place per row already known (a fixed row keeps the township its file routed it to)."""
        from .routing import NAMED, TOWNSHIP

        chunk = self.router.apply(chunk, previous)
        self.placer.township = chunk.frame[TOWNSHIP]
        chunk = self.placer.apply(chunk)
        # A village (or grid) named by the routing column places the row when its own items place it no lower.
        frame = chunk.frame
        places, named = frame[PLACE_COLUMN].to_numpy(dtype=object), frame.pop(NAMED).to_numpy(dtype=object)
        frame[PLACE_COLUMN] = [_deeper(p, n) for p, n in zip(places, named, strict=True)]
        return replace(chunk, frame=frame)
