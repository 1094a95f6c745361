"""Loading report forms from fixtures/reports/ (`manage.py load_reports`), idempotently.

Every file is checked before anything is saved: one invalid form stops the load with all problems listed (Chinese,
each naming its file). A form whose current version was edited in the web UI is not overwritten by its file unless
`force` is given: the web edit is newer than the file.
"""

from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog.specs_build import current_specs
from grassroots.definitions import DefinitionSourceError, LoadResult, load_one, parse_files

from .choices import VersionSource
from .definition import FormInvalid, parse_form
from .formbook import save_form
from .models import ReportForm

FORMS_DIR = Path(settings.BASE_DIR) / "fixtures" / "reports"


class FormSourceError(DefinitionSourceError):
    """The form files cannot be loaded; `errors` lists every problem in Chinese."""


def load_reports(directory: Path = FORMS_DIR, *, force: bool = False) -> LoadResult:
    """Load every *.yaml under `directory` (one form per file); see the module docstring."""
    specs = current_specs()
    if not specs:
        raise FormSourceError(["数据目录尚未加载，请先运行 manage.py load_catalog"])
    definitions, errors = parse_files(
        sorted(directory.glob("*.yaml")), lambda data: parse_form(data, specs=specs),
        invalid=FormInvalid, error=FormSourceError, noun="报表",
    )  # fmt: skip
    if errors:
        raise FormSourceError(errors)
    result = LoadResult()
    with transaction.atomic():
        for name, definition in definitions:
            load_one(result, ReportForm, definition, _save_from_file, web=VersionSource.WEB, force=force,
                     note=f"报表文件 {name}")  # fmt: skip
    return result


def _save_from_file(definition, *, note: str):
    return save_form(definition, source=VersionSource.FILE, note=note)
