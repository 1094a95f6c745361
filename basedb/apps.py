from django.apps import AppConfig


class BasedbConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "basedb"
    verbose_name = "基础库"

    def ready(self) -> None:
        # Intake hands batches to the base database through this registration (collection never imports basedb).
        from catalog.pointers import subscribe_to_pointer_changes
        from collection import handoff
        from regions.placement import subscribe_to_tree_changes

        from .duplicates import flag_probable_duplicates
        from .holders import entity_holders, merge_counts_by_township, place_holders, township_holders
        from .merge import merge_batch
        from .outcomes import preview_batch, preview_rows
        from .placement import places_on_tree_change
        from .preview import approval_preview
        from .summaries import links_on_catalog_change

        handoff.register(
            handoff.BaseDatabase(
                merge_batch=merge_batch,
                preview_batch=preview_batch,
                approval_preview=approval_preview,
                preview_rows=preview_rows,
                flag_probable_duplicates=flag_probable_duplicates,
                township_holders=township_holders,
                entity_holders=entity_holders,
                place_holders=place_holders,
                merge_counts_by_township=merge_counts_by_township,
            )
        )
        # New or renamed villages and grids place the records of their townships again (regions never imports us).
        subscribe_to_tree_changes(places_on_tree_change)
        # A catalog load that changes which items point at other entities indexes their links again (the catalog
        # never imports us either).
        subscribe_to_pointer_changes(links_on_catalog_change)
