"""Forms of the region pages: the audit trail's search."""

from django import forms

from .choices import ActorKind, AuditVerb

# The kinds of object the actions record (regions.audit.record_event's object_type), named as the pages name them.
OBJECT_TYPES = {
    "collection.batch": "批次",
    "basedb.conflict": "冲突",
    "regions.region": "区划",
    "auth.user": "用户",
    "regions.department": "部门",
    "regions.apitoken": "用户令牌",
    "sharing.apiclient": "接入方",
    "matching.rule": "匹配规则",
    "matching.workentry": "名单条目",
    "reports.reportform": "统计报表",
    "reports.submission": "报表确认",
    "catalog.catalogversion": "数据目录",
    "basedb.entity": "主体",
    "basedb.record": "记录",
}
DATE = forms.DateInput(attrs={"type": "date"})


class AuditFilterForm(forms.Form):
    """Who (actor), what (verb), where (region code: the region and everything below it), when, on what."""

    actor = forms.CharField(label="操作者", required=False, max_length=150,
                            widget=forms.TextInput(attrs={"placeholder": "用户名或接入方名称"}))  # fmt: skip
    actor_kind = forms.ChoiceField(label="操作者类型", required=False,
                                   choices=[("", "全部操作者类型"), *ActorKind.choices])  # fmt: skip
    verb = forms.ChoiceField(label="操作", required=False, choices=[("", "全部操作"), *AuditVerb.choices])
    region = forms.RegexField(
        label="区划代码",
        required=False,
        regex=r"^\d{4,15}$",
        error_messages={"invalid": "区划代码应为 4 至 15 位数字。"},
        widget=forms.TextInput(attrs={"placeholder": "区划代码，含下级", "inputmode": "numeric"}),
    )
    object_type = forms.ChoiceField(label="对象类型", required=False,
                                    choices=[("", "全部对象"), *OBJECT_TYPES.items()])  # fmt: skip
    object = forms.CharField(label="对象", required=False, max_length=100,
                             widget=forms.TextInput(attrs={"placeholder": "对象编号或名称"}))  # fmt: skip
    date_from = forms.DateField(label="起始日期", required=False, widget=DATE)
    date_to = forms.DateField(label="截止日期", required=False, widget=DATE)
