"""The records behind one number of a filled report: the same selection, subtree and grouping the filling counted,
as a queryset, so a page lists exactly the records counted (narrowed by the caller to what the reader may view)."""

from datetime import date

from django.db.models import Q
from django.db.models.functions import Substr

from basedb.conditions_sql import ConditionBuilder, item_text
from regions.models import Region, prefix_bounds

from .definition import Column, FormDefinition
from .filling import PLACE, child_length, column_filter, row_units, subject_ids, subtree_records
from .tables import LEFTOVER, TOTAL


class UnknownCell(ValueError):
    """The row or column named is not part of the report."""


def cell_records(definition: FormDefinition, region: Region, as_of: date, column: str, row: str):
    """Active records counted in the cell (`row`: a child region or code, `none` for the leftover row, `total`)."""
    wanted: Column | None = definition.column(column)
    keys = [key for key, _name in row_units(definition, region) if key is not None]
    if wanted is None or (row not in keys and row not in (LEFTOVER, TOTAL)):
        raise UnknownCell(f"{column}/{row}")
    ids = subject_ids(definition)
    builder = ConditionBuilder(as_of)
    q = column_filter(builder, wanted, ids)
    records = subtree_records(ids[wanted.subject], region).alias(**builder.aliases).filter(q)
    if row == TOTAL:
        return records
    if definition.rows is not None:
        records = records.alias(_unit=item_text(definition.rows.item))
        if row == LEFTOVER:
            return records.filter(Q(_unit__isnull=True) | ~Q(_unit__in=keys))
        return records.filter(_unit=row)
    if row != LEFTOVER:
        low, high = prefix_bounds(row)
        return records.filter(**{f"{PLACE}__gte": low, f"{PLACE}__lt": high})
    n = child_length(region)
    return records.alias(_unit=Substr(PLACE, 1, n)).exclude(_unit__in=keys) if n else records
