"""``python -m streams``: the stream gateway on its own (production runs one or more of these)."""

from __future__ import annotations

import argparse
import logging
import sys

from aiohttp import web

from data.core.errors import ConfigError
from data.core.settings import load_settings
from data.runtime import build_runtime
from streams.gateway import create_gateway
from streams.pool import PooledLoop


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m streams", description=__doc__)
    parser.add_argument("--host", help="listen address (default: IOC_STREAMS_HOST)")
    parser.add_argument("--port", type=int, help="listen port (default: IOC_STREAMS_PORT)")
    args = parser.parse_args(argv)
    try:
        overrides = {k: v for k, v in (("streams_host", args.host), ("streams_port", args.port)) if v is not None}
        settings = load_settings(**overrides)
        logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        runtime = build_runtime(settings)
    except ConfigError as exc:
        print(exc.message, file=sys.stderr)
        return 2
    try:
        web.run_app(create_gateway(runtime), host=settings.streams_host, port=settings.streams_port, print=None,
                    loop=PooledLoop())  # worker threads that cannot hold up the exit (streams/pool.py)
    finally:
        runtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
