"""Forms of the base-database pages."""

from django import forms

from collection.forms import subcategory_choices, township_choices
from regions.choices import Action

from .choices import Resolution


class PatchForm(forms.Form):
    """核对式采集: which township's records of which subcategory to download pre-filled."""

    region = forms.ChoiceField(label="乡镇（街道）")
    subcategory = forms.ChoiceField(label="数据子类")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = township_choices(user, Action.VIEW)
        self.fields["subcategory"].choices = subcategory_choices()


class PlaceForm(forms.Form):
    """The bulk placement tool of the unplaced-records page: the selected records and where they go."""

    records = forms.TypedMultipleChoiceField(label="记录", coerce=int, error_messages={"required": "请先勾选记录。"})
    place = forms.ChoiceField(label="落到", error_messages={"required": "请选择村（社区）或网格。"})

    def __init__(self, *args, record_ids, places, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = [(pk, pk) for pk in record_ids]
        self.fields["place"].choices = [("", "请选择村（社区）或网格"), *places]


KEEP, NEW, OTHER = "existing", "new", "other"
ITEM_CHOICES = [(KEEP, "保留已有值"), (NEW, "采用新值"), (OTHER, "填写其他值")]


class ConflictResolutionForm(forms.Form):
    """How one cross-township conflict is resolved: keep the existing record, take the new data, or 人工修改 item by
    item (each differing item kept, taken from the new data or typed), a note required for 人工修改."""

    decision = forms.ChoiceField(
        label="处理方式",
        choices=Resolution.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择处理方式。", "invalid_choice": "请选择处理方式。"},
    )
    note = forms.CharField(label="说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, changes, incoming: dict, **kwargs):
        """changes: the differing items (labels.Change) whose choice the form asks for; incoming: the new values."""
        super().__init__(*args, **kwargs)
        self.changes, self.incoming = changes, incoming
        for change in changes:
            self.fields[f"item_{change.key}"] = forms.ChoiceField(
                label=change.label, choices=ITEM_CHOICES, initial=KEEP, required=False, widget=forms.RadioSelect
            )
            self.fields[f"value_{change.key}"] = forms.CharField(
                label=f"{change.label}的修改值", required=False, max_length=200
            )

    def rows(self) -> list[dict]:
        """Each differing item with its choice and its typed value, for the page's table."""
        return [{"change": c, "choice": self[f"item_{c.key}"], "value": self[f"value_{c.key}"]} for c in self.changes]

    def clean(self):
        data = super().clean()
        data["values"] = None
        if data.get("decision") != Resolution.EDIT:
            return data
        values = {}
        for change in self.changes:
            choice = data.get(f"item_{change.key}") or KEEP
            if choice == NEW:
                values[change.key] = self.incoming.get(change.key)
            elif choice == OTHER:
                typed = (data.get(f"value_{change.key}") or "").strip()
                if typed:
                    values[change.key] = typed
                else:
                    self.add_error(f"value_{change.key}", f"请填写“{change.label}”修改后的值。")
        if not values and not self.errors:
            raise forms.ValidationError(
                "人工修改须至少为一个数据项选择“采用新值”或“填写其他值”；全部保留已有值请选择“保留原记录”。"
            )
        if not (data.get("note") or "").strip():
            self.add_error("note", "人工修改时须填写说明（为什么这样修改）。")
        data["values"] = values
        return data
