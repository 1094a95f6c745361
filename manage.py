#!/usr/bin/env python
"""Django's command-line utility for the grassroots data-collection platform."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "grassroots.settings")
    if sys.argv[1:2] == ["import_workbook"]:
        # Guard, open and parse the workbook while Django starts up (collection/pipeline/opening.py).
        from collection.pipeline.opening import start_early

        start_early(sys.argv[2:])
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
