"""Forms of the base-database pages."""

from django import forms

from collection.forms import subcategory_choices, township_choices
from regions.choices import Action


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
