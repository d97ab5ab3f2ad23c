"""``python -m data.users``: the old spelling of ``python -m data users`` (see ``data.cli.users``)."""

import sys

from data.cli.users import main

if __name__ == "__main__":
    sys.exit(main())
