from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from grassroots.api import ApiError
from grassroots.xlsx import XLSX_CONTENT_TYPE
from regions.choices import Action

from ..choices import VERIFIED_STATUSES, IssueRule, Severity
from ..disclosure import REFUSED, ROWS_WITHHELD, disclose_report, may_correct
from ..intake import submit_upload
from ..models import Batch
from ..pipeline.types import RejectedFile
from ..summaries import ISSUE_ORDER
from .filters import BatchFilterSet, BatchIssueFilterSet
from .serializers import BatchIssueSerializer, BatchSerializer, BatchUploadSerializer

# How a refused upload answers: (HTTP status, error code, offending parameter).
REFUSALS = {
    "forbidden_region": (status.HTTP_403_FORBIDDEN, "permission_denied", "region"),
    "invalid_region": (status.HTTP_400_BAD_REQUEST, "invalid_region", "region"),
    "unknown_subcategory": (status.HTTP_400_BAD_REQUEST, "unknown_subcategory", "subcategory"),
    # A department user's table whose 数源部门 is another department (collection.intake.authorise_tables).
    "forbidden_subcategory": (status.HTTP_403_FORBIDDEN, "permission_denied", "subcategory"),
}


class IssuePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


@extend_schema_view(
    list=extend_schema(summary="上报批次列表", description="Batches in the caller's regions, newest first."),
    retrieve=extend_schema(summary="上报批次详情", description="Status, progress (0–100) and counts of one batch."),
)
class BatchViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Upload workbooks and follow their batches; a batch outside the caller's regions answers 404."""

    serializer_class = BatchSerializer
    filterset_class = BatchFilterSet
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = Batch.objects.restrict(self.request.user, Action.VIEW)
        return queryset.select_related("subcategory", "region", "uploaded_by", "catalog_version")

    @extend_schema(
        summary="上传文件",
        description=(
            "Upload one workbook (multipart: file, region, optional subcategory). Small files are verified before "
            "the answer; larger ones in the background (poll the batch's status and progress). The answer is one "
            "batch object, or a list of batch objects when the workbook holds several recognised sheets. A file "
            'refused as a whole answers 400 {"code": "rejected_file", "message": "<Chinese>"} and nothing is stored.'
        ),
        request={"multipart/form-data": BatchUploadSerializer},
        responses={
            201: BatchSerializer,
            400: OpenApiResponse(description="rejected_file, invalid_region, unknown_subcategory or invalid"),
            403: OpenApiResponse(description="not allowed to upload in that region"),
        },
    )
    def create(self, request, *args, **kwargs):
        form = BatchUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        upload = form.validated_data["file"]
        try:
            batches = submit_upload(
                upload,
                original_name=upload.name,
                region_code=form.validated_data["region"],
                subcategory=form.validated_data.get("subcategory") or None,
                user=request.user,
            )
        except RejectedFile as exc:
            code, error, param = REFUSALS.get(exc.code, (status.HTTP_400_BAD_REQUEST, "rejected_file", None))
            raise ApiError(error, exc.message, param=param, status_code=code) from exc
        data = BatchSerializer(batches, many=True, context=self.get_serializer_context()).data
        return Response(data[0] if len(data) == 1 else data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="批次核验问题",
        description="The batch's issues in row order, paginated; filter by rule, severity, column, item or row.",
        parameters=[
            OpenApiParameter("rule", str, many=True, enum=[r.value for r in IssueRule]),
            OpenApiParameter("severity", str, enum=[s.value for s in Severity]),
            OpenApiParameter("column", str, description="the header text as in the file"),
            OpenApiParameter("item", str, description="element key"),
            OpenApiParameter("row", int, description="Excel row number"),
        ],
        responses=BatchIssueSerializer(many=True),
    )
    @action(detail=True, methods=["get"], serializer_class=BatchIssueSerializer, filter_backends=[])
    def issues(self, request, pk=None):
        batch = self.get_object()
        if not may_correct(request.user, batch):  # the values as typed: the batch's own people only (as the page)
            raise ApiError("permission_denied", ROWS_WITHHELD, status_code=status.HTTP_403_FORBIDDEN)
        filters = BatchIssueFilterSet(request.query_params, batch.issues.order_by(*ISSUE_ORDER))
        if not filters.is_valid():
            raise ValidationError(filters.errors)
        queryset = filters.qs
        paginator = IssuePagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(BatchIssueSerializer(page, many=True).data)

    @extend_schema(
        summary="批注版工作簿",
        description=(
            "The township's own file with every error cell marked and explained, plus an issues sheet: the same "
            "cached workbook as the web page's download, built once per state of the batch. A large batch's "
            'workbook not built yet answers 202 {"code": "report_pending"} with Retry-After (it is being built in '
            'the background; ask again). A batch whose stored file is gone answers 410 {"code": "file_missing"}.'
        ),
        responses={
            (200, XLSX_CONTENT_TYPE): OpenApiTypes.BINARY,
            202: OpenApiResponse(description="report_pending: being built, ask again after Retry-After seconds"),
            409: OpenApiResponse(description="not_ready: the batch is not verified yet"),
            410: OpenApiResponse(description="file_missing: the batch's stored file is gone"),
        },
    )
    @action(detail=True, methods=["get"], url_path=r"report\.xlsx", url_name="report")
    def report(self, request, pk=None):
        from ..report_files import ReportPending, report_download, report_filename

        batch = self.get_object()
        if not may_correct(request.user, batch):
            raise ApiError("permission_denied", REFUSED, status_code=status.HTTP_403_FORBIDDEN)
        if batch.status not in VERIFIED_STATUSES:
            raise ApiError("not_ready", "批次尚未核验完成，暂无批注版工作簿。", status_code=status.HTTP_409_CONFLICT)
        try:
            stored = report_download(batch)
        except ReportPending:
            body = {"code": "report_pending", "message": "批注版工作簿正在后台生成，请稍后再次请求此地址。"}
            return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Retry-After": str(REPORT_RETRY_SECONDS)})
        except (FileNotFoundError, RejectedFile) as exc:
            message = "批次的原始文件已丢失或无法读取，无法生成批注版工作簿；请重新上传该文件。"
            raise ApiError("file_missing", message, status_code=status.HTTP_410_GONE) from exc
        disclose_report(request.user, batch)  # the file's values in clear: logged like a page download
        response = FileResponse(stored, content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = _attachment(report_filename(batch))
        return response


REPORT_RETRY_SECONDS = 15


def _attachment(filename: str) -> str:
    from urllib.parse import quote

    return f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quote(filename)}"
