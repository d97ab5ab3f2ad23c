"""``python -m data.report_import``: the old spelling of ``python -m data import-reports``
(``data.cli.import_reports``)."""

import sys

from data.cli.import_reports import main

if __name__ == "__main__":
    sys.exit(main())
