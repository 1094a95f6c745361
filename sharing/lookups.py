"""Lookups by key (ID numbers, credit codes) through the sharing API: `/match`, `?v.id_number=` filters and the
entity read. Matching by ID is the API's purpose, so enumeration is made expensive and visible rather than
impossible: a daily quota of keys per client, refusal (and a flag for administrators) of requests that look like
enumeration, and every key looked up written to the access log as a keyed hash (never the ID number itself).
"""

import hashlib
import hmac
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from collection.staging import insert_rows
from grassroots.api import ApiError
from grassroots.text import entity_key

from .clients import flag_client
from .models import AccessLog, AccessLogKey, ApiClient, KeyQuotaCounter

PATTERN_MIN_LENGTH = 10  # shorter keys have no masked form worth enumerating (masking.mask_id_number)


@dataclass
class Lookup:
    """The distinct normalised keys of one request and, once looked up, those found within the client's scope."""

    keys: list[str]
    matched: set[str] | None = None  # None: refused before the lookup

    @classmethod
    def of(cls, raw_keys) -> "Lookup":
        return cls(list(dict.fromkeys(entity_key(k) for k in raw_keys if k is not None and str(k).strip())))


def hash_keys(keys) -> list[str]:
    """HMAC-SHA256 of each normalised key under settings.ACCESS_LOG_HMAC_KEY, as hex."""
    base = hmac.new(settings.ACCESS_LOG_HMAC_KEY.encode(), digestmod=hashlib.sha256)
    hashes = []
    for key in keys:
        mac = base.copy()  # copying the keyed state skips re-deriving the HMAC pads for each of 10,000 keys
        mac.update(entity_key(key).encode())
        hashes.append(mac.hexdigest())
    return hashes


def hash_key(key: str) -> str:
    return hash_keys([key])[0]


def masked_pattern(key: str) -> str:
    return key[:6] + "*" * (len(key) - 10) + key[-4:]


def _today_counter(client: ApiClient) -> KeyQuotaCounter | None:
    return KeyQuotaCounter.objects.filter(client=client, day=timezone.localdate()).first()


def _refuse(client: ApiClient, reason: str, message: str) -> ApiError:
    flag_client(client, reason)
    return ApiError("enumeration_suspected", message, status_code=403)


def check_request(client: ApiClient, lookup: Lookup) -> None:
    """Before the lookup: refuse a request over the day's quota (429) or with many keys sharing one masked pattern
    (403, and the client is flagged)."""
    quota = settings.SHARING_DAILY_KEY_QUOTA
    counter = _today_counter(client)
    used = counter.keys if counter else 0
    if used + len(lookup.keys) > quota:
        raise ApiError(
            "key_quota_exceeded",
            f"今日按标识查询的数量已达上限：每日 {quota} 个，今日已查 {used} 个，本次 {len(lookup.keys)} 个。"
            "请明日再试，或联系平台管理员调整配额",
            status_code=429,
        )
    patterns = Counter(masked_pattern(k) for k in lookup.keys if len(k) >= PATTERN_MIN_LENGTH)
    pattern, count = patterns.most_common(1)[0] if patterns else ("", 0)
    if count >= settings.SHARING_ENUM_PATTERN_KEYS:
        raise _refuse(
            client, f"一次请求中 {count} 个标识同为 {pattern} 的形式（疑似由掩码枚举）",
            f"本次请求中有 {count} 个标识的前六位和后四位相同（{pattern}），疑似由掩码枚举身份证号，"
            "请求已拒绝并已报告平台管理员",
        )  # fmt: skip


def _count(client: ApiClient, keys: int, misses: int) -> KeyQuotaCounter:
    day = timezone.localdate()
    counters = KeyQuotaCounter.objects.filter(client=client, day=day)
    with transaction.atomic():
        if not counters.update(keys=F("keys") + keys, misses=F("misses") + misses):
            try:
                with transaction.atomic():
                    return KeyQuotaCounter.objects.create(client=client, day=day, keys=keys, misses=misses)
            except IntegrityError:  # another worker created the day's row first
                counters.update(keys=F("keys") + keys, misses=F("misses") + misses)
        return counters.get()


def _mostly_missed(keys: int, misses: int) -> bool:
    return keys >= settings.SHARING_ENUM_MIN_KEYS and misses * 100 > settings.SHARING_ENUM_MISS_PERCENT * keys


def check_result(client: ApiClient, lookup: Lookup) -> None:
    """After the lookup: count the keys against the day's quota and refuse (403, flagged) a request, or a day of
    requests, whose keys mostly miss: a real caseworker's list is mostly of people who exist."""
    misses = len(lookup.keys) - len(lookup.matched or ())
    day = _count(client, len(lookup.keys), misses)
    percent = settings.SHARING_ENUM_MISS_PERCENT
    if _mostly_missed(len(lookup.keys), misses):
        raise _refuse(
            client, f"一次请求 {len(lookup.keys)} 个标识中 {misses} 个未命中（超过 {percent}%）",
            f"本次请求的 {len(lookup.keys)} 个标识中有 {misses} 个未命中，疑似枚举，请求已拒绝并已报告平台管理员",
        )  # fmt: skip
    if _mostly_missed(day.keys, day.misses):
        raise _refuse(
            client, f"今日 {day.keys} 个标识中 {day.misses} 个未命中（超过 {percent}%）",
            f"今日按标识查询的 {day.keys} 个标识中有 {day.misses} 个未命中，疑似枚举，请求已拒绝并已报告平台管理员",
        )  # fmt: skip


def log_keys(log: AccessLog, lookup: Lookup) -> None:
    """One AccessLogKey per key (hits and misses), written in one bulk statement (COPY on PostgreSQL)."""
    matched = lookup.matched
    flags = [None if matched is None else key in matched for key in lookup.keys]
    rows = ((log.pk, h, m) for h, m in zip(hash_keys(lookup.keys), flags, strict=True))
    with connection.cursor() as cursor:
        insert_rows(cursor, AccessLogKey._meta.db_table, ("log_id", "key_hash", "matched"), rows)
