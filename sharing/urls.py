from django.urls import path

import basedb.urls  # noqa: F401 (registers the public_id converter: entities are addressed by their public id)

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
    path("reveal/entities/<public_id:public_id>/", reveal.entity_reveal, name="entity_reveal"),
]
