from django.urls import path

from . import reveal, views

app_name = "sharing"
urlpatterns = [
    path("", views.client_list, name="client_list"),
    path("clients/new/", views.client_create, name="client_create"),
    path("clients/<int:pk>/", views.client_detail, name="client_detail"),
    path("clients/<int:pk>/rotate/", views.client_rotate, name="client_rotate"),
    path("clients/<int:pk>/revoke/", views.client_revoke, name="client_revoke"),
    path("clients/<int:pk>/unflag/", views.client_unflag, name="client_unflag"),
    path("access-log/", views.access_log, name="access_log"),
    path("reveal/records/<int:pk>/", reveal.record_reveal, name="record_reveal"),
]
