"""Forms of the intake pages: upload, batch list filters, row filters and the in-place fix of one cell."""

from django import forms
from django.db.models import Q

from regions.access import department_regions, restrict, scope_for
from regions.choices import LEVEL_CODE_LENGTH, Action, RegionLevel
from regions.models import Region

from .choices import BatchStatus, IssueRule, Severity

AUTO = ""


def township_choices(user, action: str = Action.UPLOAD) -> list[tuple[str, str]]:
    """The townships `user` may act on, as select options (a collector sees exactly its own township)."""
    townships = restrict(Region.objects.townships(), user, action, field="code").select_related("parent")
    return [(t.code, f"{t.parent.name if t.parent else ''}{t.name}（{t.code}）") for t in townships]


def department_area_choices(user) -> list[tuple[str, str]]:
    """The city or counties where `user` uploads a department roster (数据下沉: rows routed to townships), as select
    options: each department region and, for the city, each of its counties."""
    prefixes = department_regions(user, Action.UPLOAD)
    if not prefixes:
        return []
    areas = Region.objects.filter(code__in=prefixes) | Region.objects.filter(
        parent_id__in=prefixes, level=RegionLevel.COUNTY
    )
    scope = {RegionLevel.CITY: "全市", RegionLevel.COUNTY: "全县（市、区）"}
    return [(r.code, f"{r.name}（{r.code}）· {scope[r.level]}名单，按乡镇（街道）分发") for r in areas.order_by("code")]


def upload_choices(user) -> list[tuple[str, str]]:
    """Where `user` may upload: its townships, and the villages (村/社区) it holds a collector's role in."""
    held = [p for p in scope_for(user, Action.UPLOAD).prefixes if len(p) == VILLAGE_LENGTH]
    villages = Region.objects.filter(code__in=held, level=RegionLevel.VILLAGE).select_related("parent")
    return [*township_choices(user), *((v.code, f"{v.parent.name}{v.name}（{v.code}）") for v in villages)]


def subcategory_choices() -> list[tuple[str, str]]:
    """Active subcategories of the catalog, for choosing one instead of automatic recognition (one query)."""
    from catalog.models import Subcategory

    subcategories = Subcategory.objects.filter(is_active=True).order_by("order", "code").values_list("code", "name")
    return [(code, f"{code} {name}") for code, name in subcategories]


VILLAGE_LENGTH = LEVEL_CODE_LENGTH[RegionLevel.VILLAGE]


class UploadForm(forms.Form):
    """数据上报: one file for one township; the subcategory is recognised from the headers unless chosen."""

    file = forms.FileField(
        label="数据文件",
        help_text="支持 .xlsx、.xlsm、.xls、.xlsb、.ods、.csv；可直接拖入下方区域。",
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xlsm,.xls,.xlsb,.ods,.csv"}),
    )
    region = forms.ChoiceField(label="乡镇（街道）")
    subcategory = forms.ChoiceField(label="数据子类", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        areas = department_area_choices(user)
        self.fields["region"].choices = upload_choices(user) + areas
        if areas:
            self.fields["region"].label = "上报区划"
        if len(self.fields["region"].choices) == 1:
            self.fields["region"].initial = self.fields["region"].choices[0][0]
        self.fields["subcategory"].choices = [(AUTO, "自动识别（按表头判断）"), *subcategory_choices()]

    @property
    def can_upload(self) -> bool:
        return bool(self.fields["region"].choices)


class BatchFilterForm(forms.Form):
    """Filters of the batch list; every choice is already narrowed to what the user may see."""

    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *BatchStatus.choices])
    subcategory = forms.ChoiceField(label="数据子类", required=False)
    region = forms.ChoiceField(label="乡镇（街道）", required=False)
    group = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcategory"].choices = [("", "全部子类"), *subcategory_choices()]
        self.fields["region"].choices = [("", "全部乡镇（街道）"), *township_choices(user, Action.VIEW)]

    def filter(self, queryset):
        """The queryset narrowed by the valid filters (invalid ones are ignored, never an error page)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        lookups = {
            "status": data["status"],
            "subcategory__code": data["subcategory"],
            "region_id": data["region"],
            "group": data["group"],
        }
        return queryset.filter(**{k: v for k, v in lookups.items() if v})


class RowFilterForm(forms.Form):
    """Filters of a batch's rows: by rule, column and severity of their issues, or only the invalid rows."""

    rule = forms.ChoiceField(label="问题类型", required=False, choices=[("", "全部问题类型"), *IssueRule.choices])
    column = forms.CharField(label="列", required=False, max_length=200, strip=False)  # headers as in the file
    severity = forms.ChoiceField(label="级别", required=False, choices=[("", "全部级别"), *Severity.choices])
    only_invalid = forms.BooleanField(label="只看有误的行", required=False)

    def __init__(self, *args, counts: dict | None = None, **kwargs):
        """`counts`: collection.summaries.issue_counts of the batch; the choices are the rules and columns that
        occur, labelled as the summary labels them and with their counts (规则 "必填项为空（12）")."""
        from .report import rule_label

        super().__init__(*args, **kwargs)
        counts = counts or {"by_rule": {}, "by_column": {}}
        rules = [(r, f"{rule_label(r)}（{n}）") for r, n in counts["by_rule"].items()]
        self.fields["rule"].choices = [("", "全部问题类型"), *rules]
        columns = [(c, f"{c}（{n}）") for c, n in sorted(counts["by_column"].items()) if c]
        self.fields["column"].widget = forms.Select(choices=[("", "全部列"), *columns])
        if "errors" in counts:
            self.fields["severity"].choices = [
                ("", "全部级别"),
                ("error", f"错误（{counts['errors']}）"),
                ("warning", f"警告（{counts['warnings']}）"),
            ]
        self.fields["rule"].widget.attrs["aria-label"] = "问题类型"
        self.fields["column"].widget.attrs["aria-label"] = "列"

    def filter(self, rows):
        """Staged rows narrowed to those holding an issue that matches, or to the invalid ones."""
        if not self.is_valid():
            return rows
        data = self.cleaned_data
        if data["only_invalid"]:
            rows = rows.filter(is_valid=False)
        lookups = {"issues__rule": data["rule"], "issues__column": data["column"], "issues__severity": data["severity"]}
        lookups = {k: v for k, v in lookups.items() if v}
        if lookups:
            return rows.filter(**lookups).distinct()
        return rows.filter(Q(errors__gt=0) | Q(warnings__gt=0))  # the row's own counters: no join


class FixCellForm(forms.Form):
    """The corrected value of one cell, entered as a person would type it in Excel."""

    item = forms.CharField(max_length=64)
    value = forms.CharField(required=False, max_length=2000, strip=False)
