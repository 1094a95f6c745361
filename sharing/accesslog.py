"""The personal-data access log: written for every API response that includes a personal item (masked or not) or
answers a lookup by a personal key; searched and exported by administrators (views.py)."""

from .models import AccessLog, ApiClient

MAX_PARAM_TEXT = 500


def _params(query_params, extra: dict) -> dict:
    params = {k: ",".join(query_params.getlist(k))[:MAX_PARAM_TEXT] for k in query_params}
    params.update(extra)
    return params


def log_access(client: ApiClient, *, endpoint: str, method: str, query_params, extra: dict, records: int,
               status: int) -> AccessLog:  # fmt: skip
    """Write one access log row."""
    return AccessLog.objects.create(
        client=client, endpoint=endpoint, method=method, params=_params(query_params, extra), records=records,
        status=status,
    )  # fmt: skip
