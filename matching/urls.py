from django.urls import path

from . import views

app_name = "matching"
urlpatterns = [
    path("", views.rule_list, name="rule_list"),
    path("rules/new/", views.rule_create, name="rule_create"),
    path("rules/<slug:code>/", views.rule_detail, name="rule_detail"),
    path("rules/<slug:code>/edit/", views.rule_edit, name="rule_edit"),
    path("rules/<slug:code>/evaluate/", views.rule_evaluate, name="rule_evaluate"),
    path("rules/<slug:code>/entries/", views.entry_list, name="entry_list"),
    path("rules/<slug:code>/entries.xlsx", views.entry_export, name="entry_export"),
    path("rules/<slug:code>/grants/", views.grant_add, name="grant_add"),
    path("grants/<int:pk>/delete/", views.grant_remove, name="grant_remove"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
]
