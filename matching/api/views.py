"""The rules API for sharing clients: the rules a client was granted and their open results in its region, masked
by its sensitivity and logged in the personal-data access log like every sharing endpoint (sharing.api.views)."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from sharing.api.views import ERRORS, ClientApiView, int_param, region_param

from .. import results
from ..choices import EntryStatus
from . import serializers as s


class RuleListView(ClientApiView):
    endpoint = "rules"

    @extend_schema(summary="列出本接入方获授权的匹配规则", responses={200: s.RuleSerializer(many=True), **ERRORS})
    def get(self, request):
        return Response(results.granted_rules(request.user.api_client))


class RuleResultListView(ClientApiView):
    endpoint = "rule_results"
    query_params = frozenset({"region", "status", "cursor", "page_size"})

    @extend_schema(
        summary="读取一条规则在本接入方区域内的名单（在册条目），按 cursor 逐页读取",
        parameters=[
            OpenApiParameter("region", str, description="行政区划代码（只返回该区域内且在授权范围内的条目）"),
            OpenApiParameter("status", str, enum=EntryStatus.values, description="核实状态"),
            OpenApiParameter("cursor", OpenApiTypes.INT, description="上一页返回的 next_cursor；首页不传"),
            OpenApiParameter("page_size", OpenApiTypes.INT, description="每页条数，1–100，默认 100"),
        ],
        responses={200: s.RuleResultPageSerializer, **ERRORS},
    )
    def get(self, request, code: str):
        params = request.query_params
        read = self.remember(results.results_page(
            request.user, code=code, region=region_param(params), status=results.status_param(params),
            after=int_param(params, "cursor", 0, 0, 2**62), size=int_param(params, "page_size", 100, 1, 100),
        ))  # fmt: skip
        return Response(read.body)
