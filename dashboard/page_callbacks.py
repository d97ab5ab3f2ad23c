"""Callbacks declared in the modules of a page package and handed to Dash by the page's own module.

Dash executes a page's module afresh for every app it builds and gives that app the callbacks declared
meanwhile. A module the page merely imports runs once per process, so a plain ``@callback`` in it would
reach only the first app built (the tests build many in one process). A page package's modules declare
their callbacks on a ``PageCallbacks`` instead, and the page module calls ``register()`` each time it runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import dash

Handler = TypeVar("Handler", bound=Callable[..., Any])


class PageCallbacks:
    """Server and clientside callbacks, kept as declared until ``register`` hands them to Dash."""

    def __init__(self) -> None:
        self._server: list[tuple[tuple[Any, ...], dict[str, Any], Callable[..., Any]]] = []
        self._client: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def callback(self, *dependencies: Any, **options: Any) -> Callable[[Handler], Handler]:
        """Like ``dash.callback``; the function is returned unchanged, so it can be called in tests."""

        def declare(handler: Handler) -> Handler:
            self._server.append((dependencies, options, handler))
            return handler

        return declare

    def clientside(self, code: str, *dependencies: Any, **options: Any) -> None:
        """Like ``dash.clientside_callback``."""
        self._client.append((code, dependencies, options))

    def register(self) -> None:
        """Give every callback to the app Dash is building (call from the page's module, at import)."""
        for dependencies, options, handler in self._server:
            dash.callback(*dependencies, **options)(handler)
        for code, dependencies, options in self._client:
            dash.clientside_callback(code, *dependencies, **options)
