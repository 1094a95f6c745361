"""Forms of the report pages: the form editor (fields + rows and columns as YAML, checked by the form language) and
the choice of a report (form, region, date)."""

import yaml
from django import forms

from catalog.specs_build import current_specs

from .definition import FORM_KEYS, FormInvalid, parse_form
from .formbook import as_yaml
from .loader import plain

# The form's fields edited as form inputs; everything else (rows, as_of, subject, unit, columns) is YAML.
FIELD_KEYS = ("title", "number", "department", "basis", "description", "active")
LOGIC_KEYS = tuple(k for k in FORM_KEYS if k not in (*FIELD_KEYS, "code"))


class ReportFormEditor(forms.Form):
    """A report form as an administrator edits it; `clean` checks the whole form against the catalog."""

    code = forms.SlugField(label="报表代码", max_length=64, help_text="小写字母、数字和下划线，保存后不能修改")
    title = forms.CharField(label="报表名称", max_length=100)
    number = forms.CharField(label="表号", max_length=50, required=False, help_text="如 基统人01表")
    department = forms.CharField(label="制定机关", max_length=100, help_text="如 县（市、区）统计局")
    basis = forms.CharField(
        label="制度依据", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="文件名称、文号与条款"
    )
    description = forms.CharField(label="填报说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    active = forms.BooleanField(label="启用", required=False, initial=True)
    logic = forms.CharField(
        label="分行与栏目（YAML）",
        widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
        help_text="rows、as_of、subject、unit、columns，写法见 docs/reports.md",
    )
    note = forms.CharField(label="修改说明", required=False, max_length=500)

    def __init__(self, *args, form=None, **kwargs):
        if form is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(form.definition)
        super().__init__(*args, **kwargs)
        if form is not None:
            self.fields["code"].disabled = True
        self.definition = None

    @staticmethod
    def initial_for(data: dict) -> dict:
        initial = {k: data.get(k, "") for k in ("code", *FIELD_KEYS)}
        initial["active"] = data.get("active", True)
        initial["logic"] = as_yaml({k: data[k] for k in LOGIC_KEYS if k in data})
        return initial

    def clean(self):
        cleaned = super().clean()
        try:
            logic = plain(yaml.safe_load(cleaned.get("logic") or "") or {})
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            raise forms.ValidationError(
                f"分行与栏目不是有效的 YAML（第 {mark.line + 1 if mark else '?'} 行附近）"
            ) from exc
        if not isinstance(logic, dict):
            raise forms.ValidationError("分行与栏目应写成“字段: 值”的 YAML 映射")
        misplaced = [k for k in logic if k in (*FIELD_KEYS, "code")]
        if misplaced:
            raise forms.ValidationError(f"{'、'.join(misplaced)} 请在上面的表单字段中填写，不要写在 YAML 里")
        data = {k: cleaned.get(k) for k in ("code", *FIELD_KEYS) if cleaned.get(k) not in (None, "")} | logic
        data["active"] = bool(cleaned.get("active"))
        try:
            self.definition = parse_form(data, specs=current_specs())
        except FormInvalid as exc:
            for error in exc.errors:
                self.add_error(None, error)
        return cleaned


class ChooseReportForm(forms.Form):
    """Which report to fill: form, region (within the user's regions) and 统计时点 (empty: the form's own rule)."""

    form = forms.ChoiceField(label="报表")
    region = forms.ChoiceField(label="填报单位")
    as_of = forms.DateField(label="统计时点", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, forms_choices, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = forms_choices
        self.fields["region"].choices = regions
