"""统计报表 pages: choose a form and a region, see it filled from the base database, open the records behind any
number, download it as an official xlsx, confirm it (确认上报) with per-cell notes, see the confirmed versions and the
children's confirmations; administrators edit the forms.

Thin views: the region comes through reports.scope (the single access decision; outside the user's regions: 404),
records through `.restrict(user, action)`, state changes are reports.confirmation / reports.formbook functions
taking the acting user.
"""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from grassroots.definitions import save_edited
from grassroots.replica import replica_reads
from grassroots.xlsx import streamed_response
from regions.access import scope_for
from regions.choices import Action

from .cells import CellPresenter
from .choices import VersionSource
from .confirmation import children_of, confirm_report, fingerprint, may_confirm
from .definition import FormDefinition
from .drilldown import UnknownCell, cell_records
from .filling import FilledReport, default_as_of, fill_report
from .formbook import as_yaml, save_form, usable_definition
from .forms import ChooseReportForm, ReportFormEditor
from .models import ReportForm, Submission
from .scope import region_choices, region_for, trail
from .tables import ReportTable, cell_key, row_key, table_of, table_of_submission
from .workbook import write_report

PER_PAGE = 50
NOTE_PREFIX = "note:"


def _may_edit(user) -> bool:
    return not scope_for(user, Action.ADMINISTER).empty


def _require_edit(user) -> None:
    if not _may_edit(user):
        raise PermissionDenied("只有平台管理员可以维护报表。")


def _definition(form: ReportForm) -> FormDefinition:
    definition = usable_definition(form)
    if definition is None:
        raise Http404("该报表与当前数据目录不符，请管理员修改报表")
    return definition


def _as_of(request, definition: FormDefinition) -> date:
    try:
        return date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return default_as_of(definition.as_of, timezone.localdate())


def _filled(request, code: str) -> tuple[ReportForm, FilledReport]:
    """The form and the report the request asks for: region (404 outside the user's regions) and 统计时点."""
    form = get_object_or_404(ReportForm, code=code)
    definition = _definition(form)
    region = region_for(request.user, request.GET.get("region"))
    return form, fill_report(definition, region, _as_of(request, definition))


def _query(report: FilledReport, **extra) -> str:
    return urlencode({"region": report.region.code, "as_of": report.as_of.isoformat(), **extra})


@login_required
def form_list(request):
    """The forms, and the chooser of form, region and date."""
    forms = list(ReportForm.objects.filter(is_active=True))
    chooser = ChooseReportForm(
        request.GET or None, forms_choices=[(f.code, f.title) for f in forms], regions=region_choices(request.user)
    )
    if request.GET and chooser.is_valid():
        as_of = chooser.cleaned_data["as_of"]
        query = {"region": chooser.cleaned_data["region"], **({"as_of": as_of.isoformat()} if as_of else {})}
        return redirect(f"{reverse('reports:report', args=[chooser.cleaned_data['form']])}?{urlencode(query)}")
    context = {"forms": forms, "chooser": chooser, "may_edit": _may_edit(request.user)}
    return render(request, "reports/form_list.html", context)


def _submissions(user):
    return Submission.objects.restrict(user, Action.VIEW)


@login_required
@replica_reads
def report(request, code: str):
    """The filled report: rows, 合计, numbers linking to their records; the confirmed versions and the children's."""
    form, filled = _filled(request, code)
    table = table_of(filled)
    versions = _submissions(request.user).filter(form=form, region=filled.region, as_of=filled.as_of)
    children = children_of(_submissions(request.user), form, filled)
    lines = _lines(table)
    for line in lines:
        line["confirmed"] = children.confirmed.get(line["row"].key) if children else None
    context = {
        "form": form, "report": filled, "table": table, "lines": lines, "trail": trail(request.user, filled.region),
        "query": _query(filled), "versions": versions.select_related("confirmed_by"), "children": children,
        "may_confirm": may_confirm(request.user, filled.region.code), "may_edit": _may_edit(request.user),
    }  # fmt: skip
    return render(request, "reports/report.html", context)


def _lines(table: ReportTable, notes: dict | None = None) -> list[dict]:
    """Rows with their cells (value, key for links and notes) in column order, 合计 last."""
    lines = []
    for row in [*table.rows, table.total]:
        cells = [
            {"column": c, "value": row.values.get(c.code), "key": cell_key(row, c.code),
             "note": (notes or {}).get(cell_key(row, c.code), "")}
            for c in table.columns
        ]  # fmt: skip
        lines.append({"row": row, "key": row_key(row), "cells": cells, "is_total": row.key == "total"})
    return lines


@login_required
@replica_reads
def cell(request, code: str):
    """The records behind one number, exactly those counted, narrowed to those the user may view, masked."""
    form, filled = _filled(request, code)
    row, column_code = request.GET.get("row", ""), request.GET.get("column", "")
    try:
        counted = cell_records(filled.definition, filled.region, filled.as_of, column_code, row)
    except UnknownCell as exc:
        raise Http404("报表中没有该单元格") from exc
    column = filled.definition.column(column_code)
    visible = counted.restrict(request.user, Action.VIEW).select_related("entity", "region").order_by("id")
    page = Paginator(visible, PER_PAGE).get_page(request.GET.get("page"))
    presenter = CellPresenter(column)
    table = table_of(filled)
    shown_row = next((r for r in [*table.rows, table.total] if row_key(r) == row), None)
    context = {
        "form": form, "report": filled, "column": column, "row": shown_row, "page": page,
        "lines": [presenter.line(r) for r in page.object_list], "headings": presenter.headings(),
        "counted": shown_row.values.get(column_code) if shown_row else None, "query": _query(filled),
        "page_query": _query(filled, row=row, column=column_code),
    }  # fmt: skip
    return render(request, "reports/cell.html", context)


def _download(table: ReportTable, submission: Submission | None = None):
    notes = [f"{key}：{text}" for key, text in _note_labels(table, submission.notes if submission else {})]
    maker, made = "", None
    if submission is not None:
        user = submission.confirmed_by
        maker = (user.get_full_name() or user.username) if user else ""
        made = timezone.localtime(submission.confirmed_at).date()
    name = f"{table.title}_{table.region_name}_{table.as_of:%Y%m%d}.xlsx"
    return streamed_response(name, lambda book: write_report(book, table, notes=notes, maker=maker, made=made))


def _note_labels(table: ReportTable, notes: dict) -> list[tuple[str, str]]:
    """The notes as (“row name · column label”, text), in table order."""
    labelled = []
    for line in _lines(table, notes):
        for cell_ in line["cells"]:
            if cell_["note"]:
                labelled.append((f"{line['row'].name}·{cell_['column'].label}", cell_["note"]))
    return labelled


@login_required
@replica_reads
def report_xlsx(request, code: str):
    """The filled report as an official statistical form (xlsx)."""
    _form, filled = _filled(request, code)
    return _download(table_of(filled))


@login_required
def confirm(request, code: str):
    """确认上报: the table with a note field per cell; confirming keeps it as a dated version."""
    form, filled = _filled(request, code)
    if not may_confirm(request.user, filled.region.code):
        raise PermissionDenied("您没有确认上报该区划报表的权限。")
    table = table_of(filled)
    notes = {k.removeprefix(NOTE_PREFIX): v for k, v in request.POST.items() if k.startswith(NOTE_PREFIX)}
    if request.method == "POST":
        try:
            submission = confirm_report(
                form, filled, acting_user=request.user, notes=notes, note=request.POST.get("note", ""),
                shown=request.POST.get("fingerprint", ""),
            )  # fmt: skip
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已确认上报（第 {submission.number} 次确认），数值已固定保存。")
            return redirect("reports:submission", pk=submission.pk)
    context = {
        "form": form, "report": filled, "table": table, "lines": _lines(table, notes), "query": _query(filled),
        "fingerprint": fingerprint(filled), "note_prefix": NOTE_PREFIX,
    }  # fmt: skip
    return render(request, "reports/confirm.html", context)


def _submission(request, pk: int) -> Submission:
    found = _submissions(request.user).select_related("form", "confirmed_by", "form_version", "region")
    return get_object_or_404(found, pk=pk)


@login_required
def submission(request, pk: int):
    """A confirmed report as it was confirmed, with its notes; later versions of the same report listed."""
    found = _submission(request, pk)
    table = table_of_submission(found)
    others = _submissions(request.user).filter(form=found.form, region=found.region, as_of=found.as_of)
    context = {
        "submission": found, "table": table, "lines": _lines(table, found.notes),
        "notes": _note_labels(table, found.notes), "others": others.select_related("confirmed_by"),
        "query": urlencode({"region": found.region_id, "as_of": found.as_of.isoformat()}),
    }  # fmt: skip
    return render(request, "reports/submission.html", context)


@login_required
def submission_xlsx(request, pk: int):
    found = _submission(request, pk)
    return _download(table_of_submission(found), found)


@login_required
def form_detail(request, code: str):
    """The form: its columns, its definition as YAML and its versions with what changed."""
    form = get_object_or_404(ReportForm, code=code)
    context = {
        "form": form, "definition": usable_definition(form), "yaml": as_yaml(form.definition),
        "versions": form.versions.select_related("acting_user")[:50], "may_edit": _may_edit(request.user),
    }  # fmt: skip
    return render(request, "reports/form_detail.html", context)


def _save_form(request, form: ReportForm | None):
    editor = ReportFormEditor(request.POST or None, instance=form)
    saved = save_edited(request, editor, save_form, source=VersionSource.WEB)
    if saved is not None:
        if saved.changed:
            messages.success(request, f"已保存为第 {saved.obj.version} 版。已确认上报的报表不受影响。")
        return redirect("reports:form_detail", code=saved.obj.code)
    return render(request, "reports/form_edit.html", {"editor": editor, "form": form})


@login_required
def form_create(request):
    _require_edit(request.user)
    return _save_form(request, None)


@login_required
def form_edit(request, code: str):
    _require_edit(request.user)
    return _save_form(request, get_object_or_404(ReportForm, code=code))
