from django.apps import AppConfig


class BasedbConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "basedb"
    verbose_name = "基础库"
