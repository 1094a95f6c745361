from django import forms

from .card import MAX_CHANGES


class SearchForm(forms.Form):
    """Search of an area by name or ID number: always posted, so an ID number never appears in a URL."""

    q = forms.CharField(label="姓名、名称或公民身份号码", max_length=60, strip=True)


class CorrectionForm(forms.Form):
    """Up to three items of one record with their correct value, and why (checked by the officers)."""

    reason = forms.CharField(label="更正原因", max_length=200, help_text="如：已搬离、出生日期登记有误、电话已变更")

    def __init__(self, *args, items: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "请选择数据项"), *items]
        for n in range(1, MAX_CHANGES + 1):
            self.fields[f"item_{n}"] = forms.ChoiceField(label=f"更正项 {n}", choices=choices, required=n == 1)
            self.fields[f"value_{n}"] = forms.CharField(label=f"正确的值 {n}", max_length=500, required=False)
        self.order_fields([f for n in range(1, MAX_CHANGES + 1) for f in (f"item_{n}", f"value_{n}")] + ["reason"])

    def pairs(self):
        return [(f"item_{n}", f"value_{n}") for n in range(1, MAX_CHANGES + 1)]

    def bound_pairs(self):
        return [(self[item], self[value]) for item, value in self.pairs()]

    def clean(self):
        data = super().clean()
        changes = {}
        for item_field, value_field in self.pairs():
            key, value = data.get(item_field), (data.get(value_field) or "").strip()
            if not key:
                continue
            if key in changes:
                self.add_error(item_field, "同一数据项只需填写一次。")
            changes[key] = value
        if not changes:
            raise forms.ValidationError("请至少选择一个需要更正的数据项。")
        data["changes"] = changes
        return data
