"""``python -m data <command>``: see ``data.cli``."""

import sys

from data.cli import main

sys.exit(main())
