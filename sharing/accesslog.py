"""The personal-data access log: written for every API response that includes a personal item (masked or not) or
answers a lookup by a personal key, and for every web reveal or download of clear personal values; searched and
exported by administrators (views.py)."""

from regions.disclosure import Disclosure

from .lookups import Lookup, log_keys
from .models import AccessLog, ApiClient

MAX_PARAM_TEXT = 500


def _params(query_params, extra: dict) -> dict:
    params = {k: ",".join(query_params.getlist(k))[:MAX_PARAM_TEXT] for k in query_params}
    params.update(extra)
    return params


def log_access(client: ApiClient, *, endpoint: str, method: str, query_params, extra: dict, records: int,
               status: int, lookup: Lookup | None = None) -> AccessLog:  # fmt: skip
    """Write one access log row of an API client, with the keyed hashes of the keys it looked up."""
    log = AccessLog.objects.create(
        client=client, region_id=client.region_id, endpoint=endpoint, method=method,
        params=_params(query_params, extra), records=records, status=status,
    )  # fmt: skip
    if lookup is not None and lookup.keys:
        log_keys(log, lookup)
    return log


def log_disclosure(disclosure: Disclosure) -> AccessLog:
    """The access-log row of a download of clear personal values by a web or API user (regions.disclosure: the
    apps below sharing report them there), with the keyed hash of every key it carried."""
    log = AccessLog.objects.create(
        user=disclosure.user, region_id=disclosure.region, endpoint=disclosure.endpoint, method="GET",
        params=disclosure.params, records=disclosure.records, status=200, reason=disclosure.reason,
    )  # fmt: skip
    lookup = Lookup.of(disclosure.keys)
    if lookup.keys:
        lookup.matched = set(lookup.keys)  # every key is a row shown, none a lookup that missed
        log_keys(log, lookup)
    return log
