"""``python -m data.apikeys``: the old spelling of ``python -m data apikeys`` (see ``data.cli.apikeys``)."""

import sys

from data.cli.apikeys import main

if __name__ == "__main__":
    sys.exit(main())
