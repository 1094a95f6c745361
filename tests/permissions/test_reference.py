"""Generated permission tests of the pages and endpoints of reference data: the home page, the catalog (pages,
templates and its API) and the region lists. No region-owned object: every signed-in user gets 200 whatever
their roles, anonymous visitors go to the login page (pages) or get 401 JSON (API)."""

from tests.permissions.harness import Case, permission_tests

EVERYONE = {"wrong_role_status": 200, "other_region_status": 200}


def first(model: str, field: str):
    def url_of(template: str):
        def url(ctx):
            from django.apps import apps

            return template.format(getattr(apps.get_model(model).objects.order_by(field).first(), field))

        return url

    return url_of


category = first("catalog.Category", "code")
subcategory = first("catalog.Subcategory", "code")
element = first("catalog.DataElement", "key")
code_table = first("catalog.CodeTable", "code")
domain = first("catalog.Domain", "code")


def page(name: str, url: str) -> Case:
    return Case(name, lambda ctx: url, **EVERYONE)


def api(name: str, url) -> Case:
    return Case(name, url if callable(url) else (lambda ctx: url), api=True, **EVERYONE)


test_reference_page_permissions = permission_tests(
    page("home page", "/"),
    page("region list", "/regions/"),
    page("catalog", "/catalog/"),
    page("catalog search", "/catalog/search/?q=姓名"),
    page("code table list", "/catalog/code-tables/"),
    Case("category page", category("/catalog/categories/{}/"), **EVERYONE),
    Case("subcategory page", subcategory("/catalog/subcategories/{}/"), **EVERYONE),
    Case("element page", element("/catalog/elements/{}/"), **EVERYONE),
    Case("code table page", code_table("/catalog/code-tables/{}/"), **EVERYONE),
    Case("subcategory template", subcategory("/catalog/templates/{}.xlsx"), **EVERYONE),
)

test_reference_api_permissions = permission_tests(
    api("catalog summary api", "/api/v1/catalog/summary/"),
    api("domain list api", "/api/v1/catalog/domains/"),
    api("domain api", domain("/api/v1/catalog/domains/{}/")),
    api("category list api", "/api/v1/catalog/categories/"),
    api("category api", category("/api/v1/catalog/categories/{}/")),
    api("subcategory list api", "/api/v1/catalog/subcategories/"),
    api("subcategory api", subcategory("/api/v1/catalog/subcategories/{}/")),
    api("element list api", "/api/v1/catalog/elements/"),
    api("element api", element("/api/v1/catalog/elements/{}/")),
    api("code table list api", "/api/v1/catalog/code-tables/"),
    api("code table api", code_table("/api/v1/catalog/code-tables/{}/")),
    api("region list api", "/api/v1/regions/"),
)
