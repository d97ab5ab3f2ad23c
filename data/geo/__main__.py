"""``python -m data.geo``: the old spelling of ``python -m data geo`` (see ``data.cli.geo``)."""

import sys

from data.cli.geo import main

sys.exit(main())
