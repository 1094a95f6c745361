from django.urls import path

from . import views

urlpatterns = [
    path("records/", views.RecordListView.as_view(), name="sharing_records"),
    path("entities/<str:kind>/<str:key>/", views.EntityDetailView.as_view(), name="sharing_entity"),
    path("match/", views.MatchView.as_view(), name="sharing_match"),
    path("changes/", views.ChangeListView.as_view(), name="sharing_changes"),
    path("stats/", views.StatsView.as_view(), name="sharing_stats"),
    path("webhooks/", views.WebhookListView.as_view(), name="sharing_webhooks"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="sharing_webhook"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(), name="sharing_deliveries"),
]
