from rest_framework.routers import DefaultRouter

from .views import BatchViewSet

router = DefaultRouter()
router.trailing_slash = "/?"  # also /batches/{id}/report.xlsx, as clients write a file's URL, without a slash
router.register("batches", BatchViewSet, basename="batch")
urlpatterns = router.urls
