from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.templates_xlsx import TemplateError, export_template


class Command(BaseCommand):
    help = "Write the Excel collection template of a subcategory (e.g. P0101) or a category (e.g. P01, a sheet each)."

    def add_arguments(self, parser):
        parser.add_argument("code", help="subcategory or category code")
        parser.add_argument("-o", "--output", type=Path, help="output .xlsx (default: <code><name>_采集模板.xlsx)")
        parser.add_argument("--rows", type=int, help="data rows pre-formatted per sheet (default 2000; category 500)")

    def handle(self, *args, **options):
        try:
            filename, content = export_template(options["code"], rows=options["rows"])
        except TemplateError as exc:
            raise CommandError(str(exc)) from exc
        output = options["output"] or Path(filename)
        output.write_bytes(content)
        self.stdout.write(f"已生成模板：{output}")
