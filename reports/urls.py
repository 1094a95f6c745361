from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.form_list, name="form_list"),
    path("fill/<slug:code>/", views.report, name="report"),
    path("fill/<slug:code>/cell/", views.cell, name="cell"),
    path("fill/<slug:code>/report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("fill/<slug:code>/confirm/", views.confirm, name="confirm"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("submissions/<int:pk>/report.xlsx", views.submission_xlsx, name="submission_xlsx"),
    path("forms/new/", views.form_create, name="form_create"),
    path("forms/<slug:code>/", views.form_detail, name="form_detail"),
    path("forms/<slug:code>/edit/", views.form_edit, name="form_edit"),
]
