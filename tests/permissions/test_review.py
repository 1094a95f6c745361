"""Generated permission tests of the batch downloads, the fix endpoint and the review pages (核验审核).

A batch belongs to its township: another township's collector, another county's officer and a role that views
nothing get 404. Reviewing is a data officer's job: the township's own collector sees the batch but may not review
it (403). The POST actions answer with a redirect (302) for whoever may act, empty forms included."""

from django.urls import reverse

from collection.choices import BatchStatus
from regions.choices import Role
from tests.collection.batch_fixtures import make_batch
from tests.conftest import COUNTY_A, OTHER_COUNTY
from tests.permissions.harness import Case, permission_tests

VIEWERS = {"county_officer": 200, "other_county_officer": 404, "city_officer": 200, "platform_admin": 200}
GONE = {"county_officer": 410, "other_county_officer": 404, "city_officer": 410, "platform_admin": 410}
OFFICER = {"role": Role.OFFICER, "region": COUNTY_A, "other_region": OTHER_COUNTY, "wrong_role": Role.CATALOG_ADMIN,
           "extra": {"city_officer": 200, "platform_admin": 200}}  # fmt: skip


def batch_url(name: str, status: str = BatchStatus.NEEDS_FIX, row: bool = False):
    def url(ctx):
        township = ctx.region if len(ctx.region) == 9 else f"{ctx.region}002"
        from catalog.models import Subcategory

        subcategory = Subcategory.objects.get(code="P0101")
        batch = make_batch(township, ctx.users.get("own_region"), status=status, subcategory=subcategory)
        kwargs = {"pk": batch.pk} | ({"row_id": batch.staged_rows.unrestricted("test").get().pk} if row else {})
        return reverse(f"collection:{name}", kwargs=kwargs)

    return url


def officer_case(name: str, url, **kwargs) -> Case:
    return Case(name, url, **(OFFICER | kwargs))


REVIEWABLE = BatchStatus.PENDING_REVIEW

test_review_permissions = permission_tests(
    # The workbook of a batch stored without its file: those who may download it (its collectors and reviewing
    # officers) read that the file is gone (410); a viewer who fixes nothing (a grid worker) gets 403, as the
    # workbook carries the file's values (tests/sharing/test_downloads.py).
    Case("annotated workbook", batch_url("batch_report"), own_region=410, extra=GONE),
    Case("invalid rows workbook", batch_url("batch_invalid_rows"), own_region=410, extra=GONE),
    Case("fix a cell", batch_url("batch_fix_cell", row=True), method="post", own_region=302,
         extra={"county_officer": 403, "other_county_officer": 404}),
    Case("exclude a row", batch_url("batch_exclude_row", row=True), method="post", data={"reason": "重复上报"},
         own_region=302, extra={"county_officer": 403, "other_county_officer": 404}),
    Case("include a row again", batch_url("batch_include_row", row=True), method="post", own_region=302,
         extra={"county_officer": 403, "other_county_officer": 404}),
    officer_case("review queue", lambda ctx: reverse("collection:review_queue"), other_region_status=200,
                 wrong_role_status=403),
    officer_case("review page", batch_url("review_detail", REVIEWABLE)),
    officer_case("review preview", batch_url("review_preview", REVIEWABLE)),
    officer_case("approve", batch_url("review_approve", REVIEWABLE), method="post", own_region=302,
                 extra={"city_officer": 302, "platform_admin": 302}),
    officer_case("return", batch_url("review_return", REVIEWABLE), method="post", own_region=302,
                 extra={"city_officer": 302, "platform_admin": 302}),
    officer_case("bulk review", lambda ctx: reverse("collection:review_bulk"), method="post", own_region=302,
                 other_region_status=302, wrong_role_status=403, extra={"city_officer": 302, "platform_admin": 302}),
    Case("resubmit", batch_url("review_resubmit"), method="post", own_region=302,
         extra={"county_officer": 403, "other_county_officer": 404}),
)  # fmt: skip
