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
