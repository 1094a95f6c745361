from django.urls import path

from . import views

app_name = "basedb"
urlpatterns = [
    path("", views.record_list, name="record_list"),
    path("entities/<int:pk>/", views.entity_detail, name="entity_detail"),
    path("conflicts/", views.conflict_list, name="conflict_list"),
    path("conflicts/<int:pk>/resolve", views.conflict_resolve, name="conflict_resolve"),
    path("batches/<int:pk>/revert", views.batch_revert, name="batch_revert"),
]
