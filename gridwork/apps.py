from django.apps import AppConfig


class GridworkConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "gridwork"
    verbose_name = "网格工作台"
