from django.apps import AppConfig


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "数据目录"

    def ready(self):
        # regions decides access by department but sits below the catalog: the catalog tells it, at start-up, how
        # to find the subcategories of a 数源部门 (regions/departments.py).
        from regions.departments import register_catalog_source

        from .departments import subcategories_by_department

        register_catalog_source(subcategories_by_department)

    def warm(self):
        """Build the catalog's specs before the first request needs them (grassroots/warmup.py)."""
        from .specs_build import current_specs

        current_specs()
