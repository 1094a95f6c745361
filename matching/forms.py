"""Forms of the matching pages: the rule editor (fields + the conditions as YAML, checked by the rule language),
the township's feedback on an entry, the work-list filters and a rule grant for an API client."""

from django import forms

from catalog.specs_build import current_specs
from grassroots.definitions import DefinitionEditor

from .choices import FEEDBACK_STATUSES, EntryStatus
from .definition import RULE_KEYS, RuleInvalid, parse_rule
from .models import Fact
from .worklist import STATES

# The rule's fields edited as form inputs; everything else (subject, conditions, show, feedback, deadline) is YAML.
FIELD_KEYS = ("name", "department", "basis", "description", "active")
LOGIC_KEYS = tuple(k for k in RULE_KEYS if k not in (*FIELD_KEYS, "code"))


class RuleForm(DefinitionEditor):
    """A rule as a rules administrator edits it; `clean` checks the whole rule against the catalog."""

    FIELD_KEYS, LOGIC_KEYS, LOGIC_NAME, INVALID = FIELD_KEYS, LOGIC_KEYS, "条件", RuleInvalid

    code = forms.SlugField(label="规则代码", max_length=64, help_text="小写字母、数字和下划线，保存后不能修改")
    name = forms.CharField(label="规则名称", max_length=100)
    department = forms.CharField(label="所属部门", max_length=100, help_text="如 市医保局")
    basis = forms.CharField(label="政策依据", widget=forms.Textarea(attrs={"rows": 4}), help_text="文件名称与条款")
    description = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    logic = forms.CharField(
        label="主体与条件（YAML）",
        widget=forms.Textarea(attrs={"rows": 16, "class": "code", "spellcheck": "false"}),
        help_text="subject、when、has、has_any、has_none、show、feedback、deadline_days，写法见 docs/rules.md",
    )
    field_order = ["code", "name", "department", "basis", "description", "active", "logic", "note"]

    def parse_definition(self, data: dict):
        return parse_rule(data, specs=current_specs(), facts=Fact.objects.values_list("code", flat=True))


class FeedbackForm(forms.Form):
    """属实 / 不属实 (with its fact, and the values the fact asks for) / 已办理, and a note."""

    status = forms.ChoiceField(
        label="核实结果", widget=forms.RadioSelect, choices=[(s.value, s.label) for s in FEEDBACK_STATUSES]
    )
    fact = forms.ModelChoiceField(
        label="不属实的原因", queryset=Fact.objects.none(), required=False, empty_label="请选择"
    )
    note = forms.CharField(label="备注", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, facts: list[Fact], ask: dict, **kwargs):
        """ask: element key -> ItemSpec of the values the offered facts may ask for (e.g. death_date)."""
        super().__init__(*args, **kwargs)
        self.fields["fact"].queryset = Fact.objects.filter(pk__in=[f.pk for f in facts]).order_by("order", "code")
        self.ask = ask
        for key, item in ask.items():
            askers = "、".join(f.label for f in facts if key in f.ask_items)
            widget = forms.DateInput(attrs={"type": "date"}) if item.type == "date" else forms.TextInput()
            self.fields[f"ask_{key}"] = forms.CharField(
                label=item.name, required=False, widget=widget, help_text=f"选择“{askers}”时填写，提交核验员审核"
            )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == EntryStatus.REFUTED and not cleaned.get("fact"):
            self.add_error("fact", "选择“不属实”时，请选择原因")
        return cleaned

    def entered(self) -> dict:
        return {key: self.cleaned_data.get(f"ask_{key}") for key in self.ask if self.cleaned_data.get(f"ask_{key}")}


class WorkListFilterForm(forms.Form):
    region = forms.ChoiceField(label="乡镇（街道）", required=False)
    status = forms.ChoiceField(label="核实状态", required=False, choices=[("", "全部状态"), *EntryStatus.choices])
    state = forms.ChoiceField(label="范围", required=False, choices=list(STATES.items()))

    def __init__(self, *args, townships: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", "全部乡镇（街道）"), *townships]


class GrantForm(forms.Form):
    client = forms.ModelChoiceField(label="接入方", queryset=None, empty_label="请选择接入方")

    def __init__(self, *args, clients, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = clients
