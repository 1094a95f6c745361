from django.urls import path

from . import views

urlpatterns = [
    path("rules/", views.RuleListView.as_view(), name="matching_rules"),
    path("rules/<slug:code>/results/", views.RuleResultListView.as_view(), name="matching_rule_results"),
]
