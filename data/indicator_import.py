"""``python -m data.indicator_import``: the old spelling of ``python -m data import-kpis``
(``data.cli.import_kpis``)."""

import sys

from data.cli.import_kpis import main

if __name__ == "__main__":
    sys.exit(main())
