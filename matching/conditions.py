"""A rule as database expressions: its subject records (the shared condition language compiled by
basedb/conditions_sql.py) and what an entry remembers of its evaluation (facts)."""

from datetime import date

from django.db.models import F
from django.db.models.functions import JSONObject

from basedb.conditions_sql import birth_expression, presence_exists, select_records

from .definition import RuleDefinition


def matches(definition: RuleDefinition, subcategory_ids: dict[str, int], as_of: date):
    """The subject records the rule finds, as a queryset (not evaluated: callers narrow it and compile it)."""
    return select_records(definition.selection, subcategory_ids, as_of)


def facts_expression(definition: RuleDefinition, subcategory_ids: dict[str, int], as_of: date) -> JSONObject:
    """What an entry remembers of its evaluation, for its reason: the items the `when` conditions read, the birth
    date an age was computed from, which `has_any` subcategories held, and the version of the subject record these
    facts were read from (an evaluation does not rewrite an entry whose facts differ by that version only)."""
    fields = {"_version": F("version")}
    for item in definition.items_of_when():
        fields[item] = F(f"values__{item}")
    ages = definition.ages()
    if ages:
        fields["_birth"] = birth_expression(ages[0])
    for n, presence in enumerate(definition.has_any):
        fields[f"_has_any_{n}"] = presence_exists(presence, subcategory_ids, as_of)
    return JSONObject(**fields)
