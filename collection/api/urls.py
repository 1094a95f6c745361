from rest_framework.routers import DefaultRouter

from .views import BatchViewSet

router = DefaultRouter(trailing_slash="/?")  # also /batches/{id}/report.xlsx without a slash
router.register("batches", BatchViewSet, basename="batch")
urlpatterns = router.urls
