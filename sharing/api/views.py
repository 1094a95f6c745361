"""Sharing API endpoints: thin views that parse parameters, call sharing.reads / sharing.webhooks and render.

Every endpoint authenticates API clients only (sharing.auth), is rate-limited per client (sharing.ratelimit), and
logs reads of personal data (sharing.accesslog) when the response is finalised.
"""

from datetime import datetime, time
from urllib.parse import urlsplit

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.decorators import method_decorator
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ParseError
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.choices import EntityKind
from grassroots.api import ApiError
from grassroots.replica import replica_reads
from regions.audit import record_event
from regions.choices import CODE_LENGTH_LEVEL, AuditVerb

from .. import lookups, reads, webhooks
from ..accesslog import log_access
from ..auth import ClientTokenAuthentication, IsApiClient
from ..models import Webhook
from ..query import PREFIX, check_readable, parse_conditions
from ..ratelimit import ClientRateThrottle
from ..scoping import client_subcategory
from . import serializers as s

ERRORS = {code: OpenApiResponse(s.ErrorSerializer, description=text) for code, text in (
    (400, "参数有误（param 指出哪个参数）"), (401, "令牌无效、已吊销或已过期"),
    (403, "疑似枚举标识，已拒绝并报告管理员"), (404, "不存在或无权访问"),
    (429, "请求过于频繁，或超出每日按标识查询的配额"),
)}  # fmt: skip


def _bad(param: str, message: str) -> ApiError:
    return ApiError("invalid_parameter", f"参数 {param} 有误：{message}", param=param)


def int_param(params, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw in (None, ""):
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise _bad(name, f"应为 {low}–{high} 的整数")
    return int(raw)


def keyset_param(params) -> tuple[str, int] | None:
    """The /records/ cursor `<region>_<id>` (opaque to clients: they pass back next_cursor)."""
    raw = params.get("cursor")
    if not raw:
        return None
    region, _, pk = raw.partition("_")
    if not (region.isdigit() and len(region) <= 15 and pk.isdigit() and len(pk) <= 18):
        raise _bad("cursor", "应为上一页返回的 next_cursor")
    return region, int(pk)


def region_param(params) -> str | None:
    region = params.get("region") or None
    if region is not None and not (region.isdigit() and len(region) in CODE_LENGTH_LEVEL):
        raise _bad("region", "应为 4、6、9、12 或 15 位行政区划代码")
    return region


def datetime_param(params, name: str) -> datetime | None:
    raw = params.get(name)
    if not raw:
        return None
    try:
        value = parse_datetime(raw) or (parse_date(raw) and datetime.combine(parse_date(raw), time.min))
    except ValueError:
        value = None
    if not value:
        raise _bad(name, "应为 ISO 8601 日期或时间，如 2026-01-01 或 2026-01-01T08:00:00+08:00")
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def list_param(params, name: str) -> list[str] | None:
    raw = params.get(name)
    return [v.strip() for v in raw.split(",") if v.strip()] if raw else None


COMMON_PARAMS = frozenset({"format"})


class ClientApiView(APIView):
    """Base of the sharing endpoints: client tokens only, per-client rate limit, personal-data access log."""

    authentication_classes = [ClientTokenAuthentication]
    permission_classes = [IsApiClient]
    throttle_classes = [ClientRateThrottle]
    endpoint = ""
    # Query parameters a GET accepts; anything else is refused with 400 rather than silently ignored.
    query_params: frozenset[str] = frozenset()
    item_filters = False  # does the endpoint take `v.<item>` filters?

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if request.method == "GET":
            self.check_params(request.query_params)

    def check_params(self, params) -> None:
        allowed = self.query_params | COMMON_PARAMS
        for param in params:
            if param in allowed or (self.item_filters and param.startswith(PREFIX)):
                continue
            hint = f"；按数据项筛选请写作 v.<数据项>，如 v.{param}" if self.item_filters else ""
            expected = "、".join(sorted(self.query_params)) or "（无）"
            raise ApiError(
                "unknown_parameter", f"未知参数 {param}：本接口只接受 {expected}{hint}", param=param
            )  # fmt: skip

    def remember(self, read: reads.Read) -> reads.Read:
        self.request.sharing_read = read
        return read

    def look_up(self, raw_keys, read_keys) -> reads.Read:
        """A read by keys under the quota and enumeration checks (sharing.lookups); every key is logged, hashed,
        even when the request is refused."""
        client = self.request.user.api_client
        lookup = self.request.sharing_lookup = lookups.Lookup.of(raw_keys)
        lookups.check_request(client, lookup)
        read = self.remember(read_keys())
        lookup.matched = read.matched
        lookups.check_result(client, lookup)
        return read

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        read = getattr(request, "sharing_read", None)
        lookup = getattr(request, "sharing_lookup", None)
        client = getattr(request.user, "api_client", None) if hasattr(request, "_user") else None
        if client is not None and (lookup is not None or (read is not None and read.personal)):
            log_access(
                client, endpoint=self.endpoint, method=request.method, query_params=request.query_params,
                extra=read.log_params if read else {"keys": len(lookup.keys)},
                records=read.records if read and response.status_code < 400 else 0, status=response.status_code,
                lookup=lookup,
            )  # fmt: skip
        return response


PAGE_SIZE_PARAM = OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数，1–100，默认 100")
PAGE_PARAMS = [
    OpenApiParameter("cursor", OpenApiTypes.INT, description="上一页返回的 next_cursor（变更序号）；首页传 0"),
    PAGE_SIZE_PARAM,
]


class RecordListView(ClientApiView):
    endpoint = "records"
    query_params = frozenset({"subcategory", "region", "updated_since", "fields", "cursor", "page_size"})
    item_filters = True

    @extend_schema(
        summary="按子类、区域分页读取记录",
        description="数据项筛选：v.<数据项>=值、v.<数据项>__in=a,b、v.<数据项>__gte/gt/lte/lt=（数字、日期）、"
        "v.<数据项>__isnull=true|false；详见 docs/api.md。",
        parameters=[
            OpenApiParameter("subcategory", str, required=True, description="子类代码，如 P0101"),
            OpenApiParameter("region", str, description="行政区划代码（只返回该区域内且在授权范围内的记录）"),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="只返回此时间之后更新的记录"),
            OpenApiParameter("fields", str, description="逗号分隔的数据项，如 name,phone；默认全部"),
            OpenApiParameter("cursor", str, description="上一页返回的 next_cursor（不透明字符串）；首页不传"),
            PAGE_SIZE_PARAM,
        ],
        responses={200: s.RecordPageSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def get(self, request):
        params = request.query_params
        subcategory = params.get("subcategory")
        if not subcategory:
            raise _bad("subcategory", "必填，如 subcategory=P0101")
        _pk, spec = client_subcategory(request.user.api_client, subcategory)
        fields = list_param(params, "fields")
        unknown = sorted(set(fields or ()) - {i.key for i in spec.items})
        if unknown:
            raise _bad("fields", f"子类 {subcategory} 没有数据项 {'、'.join(unknown)}")
        conditions = parse_conditions(params, spec)
        check_readable(conditions, spec, request.user.api_client.max_sensitivity)

        def read_page() -> reads.Read:
            return self.remember(reads.records_page(
                request.user, subcategory=subcategory, region=region_param(params), fields=fields,
                updated_since=datetime_param(params, "updated_since"), conditions=conditions,
                after=keyset_param(params), size=int_param(params, "page_size", 100, 1, 100),
            ))  # fmt: skip

        keys = reads.lookup_keys(conditions)
        return Response((self.look_up(keys, read_page) if keys is not None else read_page()).body)


def _entity_response(read: reads.Read) -> Response:
    if not read.body:
        raise ApiError("not_found", "主体不存在或无权访问", status_code=404)
    return Response(read.body)


class EntityDetailView(ClientApiView):
    endpoint = "entities"

    @extend_schema(
        summary="按主体编号（不透明的 id）读取一个主体在授权范围内的全部记录",
        description="id 取自 /records/、/changes/ 或 POST /entities/lookup/ 的返回；"
        "主体标识（如公民身份号码）不放在网址中。",
        responses={200: s.EntityDetailSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def get(self, request, public_id: str):
        entity = reads.find_entity(public_id=public_id)
        return _entity_response(self.remember(reads.entity_detail(request.user, entity)))


def _validated_body(request, serializer_class) -> dict:
    """The request's JSON body checked by the serializer (400 with the API's Chinese error otherwise)."""
    try:
        body = request.data
    except ParseError as exc:
        raise ApiError("invalid_json", "请求体不是有效的 JSON，请检查格式（如引号、逗号、括号是否配对）") from exc
    serializer = serializer_class(data=body)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class EntityLookupView(ClientApiView):
    endpoint = "entities"

    @extend_schema(
        summary="按主体类型和标识查一个主体（标识放在请求体中，不出现在网址和服务器日志里）",
        request=s.EntityLookupSerializer,
        responses={200: s.EntityDetailSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def post(self, request):
        lookup = _validated_body(request, s.EntityLookupSerializer)
        kind, key = lookup["kind"], lookup["key"]
        if kind not in EntityKind.values:
            raise _bad("kind", f"未知的主体类型 {kind}，可用：{'、'.join(EntityKind.values)}")
        read = self.look_up(
            [key], lambda: reads.entity_detail(request.user, reads.find_entity(kind=kind, key=key), kind_sent=kind)
        )
        read.log_params = {"kind": kind}
        return _entity_response(read)


class EntityByKeyGoneView(ClientApiView):
    endpoint = "entities"

    @extend_schema(
        summary="已停用：标识在网址中的旧接口（返回 410）",
        operation_id="v1_entities_by_key_gone",
        deprecated=True,
        responses={410: s.ErrorSerializer},
    )
    def get(self, request, kind: str, key: str):
        raise ApiError("gone", ENTITY_BY_KEY_GONE, status_code=status.HTTP_410_GONE)


ENTITY_BY_KEY_GONE = (
    "此接口已停用：主体标识（如公民身份号码）不得出现在网址中。请改用 POST /api/v1/entities/lookup/，"
    '请求体 {"kind": "person", "key": "<标识>"}；或使用返回中的主体编号 id：GET /api/v1/entities/<id>/。'
    "详见 docs/api.md。"
)


class MatchView(ClientApiView):
    endpoint = "match"

    @extend_schema(
        summary="批量比对：哪些标识在哪些子类中",
        request=s.MatchRequestSerializer,
        responses={200: s.MatchResponseSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def post(self, request):
        data = _validated_body(request, s.MatchRequestSerializer)
        specs = [
            client_subcategory(request.user.api_client, c, param="subcategories")[1] for c in data["subcategories"]
        ]
        unknown = sorted(set(data["fields"]) - {item.key for spec in specs for item in spec.items})
        if unknown:
            raise _bad("fields", f"所选子类都没有数据项 {'、'.join(unknown)}")
        read = self.look_up(data["keys"], lambda: reads.match_keys(request.user, **data))
        return Response(read.body)


class ChangeListView(ClientApiView):
    endpoint = "changes"
    query_params = frozenset({"subcategory", "cursor", "page_size"})

    @extend_schema(
        summary="增量变更流（新增、更新、注销等），按 cursor 逐页读取，每个变更恰好一次",
        parameters=[OpenApiParameter("subcategory", str, description="只看一个子类"), *PAGE_PARAMS],
        responses={200: s.ChangePageSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def get(self, request):
        params = request.query_params
        read = self.remember(reads.changes_page(
            request.user, after=int_param(params, "cursor", 0, 0, 2**62),
            size=int_param(params, "page_size", 100, 1, 100), subcategory=params.get("subcategory") or None,
        ))  # fmt: skip
        return Response(read.body)


class StatsView(ClientApiView):
    endpoint = "stats"
    query_params = frozenset({"region"})

    @extend_schema(
        summary="按乡镇和子类统计有效记录数",
        parameters=[OpenApiParameter("region", str, description="行政区划代码")],
        responses={200: s.StatsSerializer, **ERRORS},
    )
    @method_decorator(replica_reads)
    def get(self, request):
        return Response(reads.record_counts(request.user, region=region_param(request.query_params)).body)


def _webhook_body(webhook: Webhook, secret: str | None = None) -> dict:
    body = {k: getattr(webhook, k) for k in ("id", "url", "enabled", "cursor", "created_at")}
    if secret:
        body["secret"] = secret
    return body


class WebhookListView(ClientApiView):
    endpoint = "webhooks"

    @extend_schema(summary="列出本接入方的回调地址", responses={200: s.WebhookSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response([_webhook_body(w) for w in request.user.api_client.webhooks.all()])

    @extend_schema(
        summary="登记回调地址（签名密钥仅此一次返回）",
        request=s.WebhookSerializer,
        responses={201: s.WebhookCreatedSerializer, **ERRORS},
    )
    def post(self, request):
        serializer = s.WebhookSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            webhook, secret = webhooks.register_webhook(request.user.api_client, serializer.validated_data["url"])
            _record_webhook(AuditVerb.REGISTER_WEBHOOK, request.user, webhook)
        return Response(_webhook_body(webhook, secret), status=status.HTTP_201_CREATED)


class WebhookDetailView(ClientApiView):
    endpoint = "webhooks"

    @extend_schema(summary="删除回调地址", responses={204: None, **ERRORS})
    def delete(self, request, pk: int):
        webhook = get_object_or_404(request.user.api_client.webhooks, pk=pk)
        with transaction.atomic():
            _record_webhook(AuditVerb.DELETE_WEBHOOK, request.user, webhook)
            webhook.delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


def _record_webhook(verb: str, principal, webhook: Webhook) -> None:
    """Where the client's data will be sent, in the audit trail: the host only (a URL's path or query may hold a
    secret). Recorded here, not in sharing.webhooks, while that module is being reworked (issue 11 item 15)."""
    client = principal.api_client
    record_event(verb, actor=principal, obj=webhook, region=client.region_id, label=f"接入方 {client.name} 的回调地址",
                 after={"host": urlsplit(webhook.url).hostname})  # fmt: skip


class WebhookDeliveryListView(ClientApiView):
    endpoint = "webhooks"

    @extend_schema(summary="回调地址最近 100 次投递记录", responses={200: s.DeliverySerializer(many=True), **ERRORS})
    def get(self, request, pk: int):
        webhook = get_object_or_404(request.user.api_client.webhooks, pk=pk)
        return Response(s.DeliverySerializer(webhook.deliveries.all()[:100], many=True).data)
