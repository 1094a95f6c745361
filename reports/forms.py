"""Forms of the report pages: the form editor (fields + rows and columns as YAML, checked by the form language) and
the choice of a report (form, region, date)."""

from django import forms

from catalog.specs_build import current_specs
from grassroots.definitions import DefinitionEditor

from .definition import FORM_KEYS, FormInvalid, parse_form

# The form's fields edited as form inputs; everything else (rows, as_of, subject, unit, columns) is YAML.
FIELD_KEYS = ("title", "number", "department", "basis", "description", "active")
LOGIC_KEYS = tuple(k for k in FORM_KEYS if k not in (*FIELD_KEYS, "code"))


class ReportFormEditor(DefinitionEditor):
    """A report form as an administrator edits it; `clean` checks the whole form against the catalog."""

    FIELD_KEYS, LOGIC_KEYS, LOGIC_NAME, INVALID = FIELD_KEYS, LOGIC_KEYS, "分行与栏目", FormInvalid

    code = forms.SlugField(label="报表代码", max_length=64, help_text="小写字母、数字和下划线，保存后不能修改")
    title = forms.CharField(label="报表名称", max_length=100)
    number = forms.CharField(label="表号", max_length=50, required=False, help_text="如 基统人01表")
    department = forms.CharField(label="制定机关", max_length=100, help_text="如 县（市、区）统计局")
    basis = forms.CharField(
        label="制度依据", required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text="文件名称、文号与条款"
    )
    description = forms.CharField(label="填报说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    logic = forms.CharField(
        label="分行与栏目（YAML）",
        widget=forms.Textarea(attrs={"rows": 18, "class": "code", "spellcheck": "false"}),
        help_text="rows、as_of、subject、unit、columns，写法见 docs/reports.md",
    )
    field_order = ["code", "title", "number", "department", "basis", "description", "active", "logic", "note"]

    def parse_definition(self, data: dict):
        return parse_form(data, specs=current_specs())


class ChooseReportForm(forms.Form):
    """Which report to fill: form, region (within the user's regions) and 统计时点 (empty: the form's own rule)."""

    form = forms.ChoiceField(label="报表")
    region = forms.ChoiceField(label="填报单位")
    as_of = forms.DateField(label="统计时点", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, forms_choices, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = forms_choices
        self.fields["region"].choices = regions
