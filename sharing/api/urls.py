from django.urls import path

from . import views

urlpatterns = [
    path("records/", views.RecordListView.as_view(), name="sharing_records"),
    path("entities/lookup/", views.EntityLookupView.as_view(), name="sharing_entity_lookup"),
    path("entities/<str:public_id>/", views.EntityDetailView.as_view(), name="sharing_entity"),
    # The old form named the key (an ID number) in the URL: answered 410 with the way to the new one.
    path("entities/<str:kind>/<str:key>/", views.EntityByKeyGoneView.as_view(), name="sharing_entity_gone"),
    path("match/", views.MatchView.as_view(), name="sharing_match"),
    path("changes/", views.ChangeListView.as_view(), name="sharing_changes"),
    path("stats/", views.StatsView.as_view(), name="sharing_stats"),
    path("webhooks/", views.WebhookListView.as_view(), name="sharing_webhooks"),
    path("webhooks/<int:pk>/", views.WebhookDetailView.as_view(), name="sharing_webhook"),
    path("webhooks/<int:pk>/deliveries/", views.WebhookDeliveryListView.as_view(), name="sharing_deliveries"),
]
