from datetime import datetime, time, timedelta

from django import forms

from catalog.models import Subcategory
from regions.models import Region

from .choices import WEB_ENDPOINT_LABELS, Sensitivity
from .models import ApiClient


class ApiClientForm(forms.Form):
    """Create a client: subcategories are typed as codes (177 of them make a poor select box)."""

    name = forms.CharField(label="名称", max_length=100)
    department = forms.CharField(label="所属部门", max_length=100, required=False)
    contact = forms.CharField(label="联系人及电话", max_length=200, required=False)
    subcategories = forms.CharField(
        label="可读子类",
        help_text="子类代码，逗号分隔，如 P0301,P0209（低保对象、残疾人）；代码见“数据目录”",
        widget=forms.TextInput(attrs={"placeholder": "P0301,P0209", "size": 40}),
    )
    region = forms.CharField(label="可读区域", max_length=15, help_text="接入方只能读取该区划及其下级的数据")
    max_sensitivity = forms.ChoiceField(label="最高可读敏感级别", choices=Sensitivity.choices, initial="internal")
    rate_limit = forms.IntegerField(label="每分钟请求上限", min_value=1, max_value=100_000, initial=600)
    expires_days = forms.IntegerField(label="有效天数", min_value=1, max_value=3650, required=False,
                                      help_text="留空表示长期有效")  # fmt: skip

    def __init__(self, *args, regions=None, **kwargs):
        kwargs.setdefault("label_suffix", "：")
        super().__init__(*args, **kwargs)
        if regions is not None:
            # A select of the regions the administrator manages (city, counties, townships), not a typed code.
            choices = [("", "请选择区划")] + [(r.code, f"{r.name}（{r.code}）") for r in regions]
            self.fields["region"].widget = forms.Select(choices=choices)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ApiClient.objects.unrestricted("client names are unique across regions").filter(name=name).exists():
            raise forms.ValidationError("该名称已被使用")
        return name

    def clean_subcategories(self):
        codes = [c.strip().upper() for c in self.cleaned_data["subcategories"].replace("，", ",").split(",")]
        codes = [c for c in codes if c]
        found = list(Subcategory.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {s.code for s in found})
        if missing or not found:
            raise forms.ValidationError(f"未知的子类代码：{'、'.join(missing) or '（未填写）'}")
        return found

    def clean_region(self):
        code = self.cleaned_data["region"].strip()
        if not Region.objects.filter(pk=code).exists():
            raise forms.ValidationError("未知的行政区划代码")
        return code


ENDPOINT_CHOICES = [
    ("", "全部接口与页面"), ("records", "records"), ("entities", "entities"), ("match", "match"),
    ("changes", "changes"), ("rule_results", "rule_results"), *WEB_ENDPOINT_LABELS.items(),
]  # fmt: skip


class AccessLogFilterForm(forms.Form):
    """Search of the access log. `person` (an ID number, hashed before the search) is only read from a POST, so the
    number never appears in a URL or a server log line."""

    person = forms.CharField(
        label="身份证号", required=False, max_length=30,
        widget=forms.TextInput(attrs={"placeholder": "按人查询：身份证号", "autocomplete": "off"}),
    )  # fmt: skip
    client = forms.ModelChoiceField(label="接入方", queryset=ApiClient.objects.none(), required=False,
                                    empty_label="全部接入方")  # fmt: skip
    user = forms.CharField(label="用户", required=False, max_length=150,
                           widget=forms.TextInput(attrs={"placeholder": "用户名"}))  # fmt: skip
    endpoint = forms.ChoiceField(label="接口", required=False, choices=ENDPOINT_CHOICES)
    date_from = forms.DateField(label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time_from = forms.TimeField(label="起始时刻", required=False, widget=forms.TimeInput(attrs={"type": "time"}))
    date_to = forms.DateField(label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    time_to = forms.TimeField(label="截止时刻", required=False, widget=forms.TimeInput(attrs={"type": "time"}),
                              help_text="含该分钟；不填为截止日期全天")  # fmt: skip

    def __init__(self, *args, clients=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients if clients is not None else ApiClient.objects.none()

    def clean(self):
        data = super().clean()
        for when, moment in (("date_from", "time_from"), ("date_to", "time_to")):
            if data.get(moment) and not data.get(when):
                self.add_error(when, "填写时刻时请同时选择日期")
        return data

    def time_range(self, tz) -> tuple[datetime | None, datetime | None]:
        """[start, end) of the search: from the start date (at its time, else midnight) to the end date's minute
        (inclusive) or, without a time, to the end of that day."""
        data = self.cleaned_data
        start = end = None
        if data.get("date_from"):
            start = datetime.combine(data["date_from"], data.get("time_from") or time.min, tz)
        if data.get("date_to"):
            if data.get("time_to"):
                end = datetime.combine(data["date_to"], data["time_to"].replace(second=0, microsecond=0), tz)
                end += timedelta(minutes=1)
            else:
                end = datetime.combine(data["date_to"] + timedelta(days=1), time.min, tz)
        return start, end
