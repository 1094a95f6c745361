from django.core.management.base import BaseCommand, CommandError

from regions.samples import generate_sample_villages


class Command(BaseCommand):
    help = (
        "Generate clearly labelled sample villages/communities (12-digit codes) and grids (15-digit codes) "
        "under the given townships, marked is_sample=True; idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--townships", required=True, help="comma-separated 9-digit township codes")
        parser.add_argument("--villages", type=int, default=5, help="sample villages per township (1-99)")
        parser.add_argument("--grids", type=int, default=3, help="grids per sample village (1-999)")

    def handle(self, *args, **options):
        codes = [c.strip() for c in options["townships"].split(",") if c.strip()]
        try:
            report = generate_sample_villages(codes, villages=options["villages"], grids=options["grids"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"示例村（社区）与网格：新增 {report.created}，已存在 {report.unchanged}")
