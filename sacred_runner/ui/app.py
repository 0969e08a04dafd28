"""The Starlette application of ``sacred ui``: its routes, all GET, over one or more stores."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sacred_runner.ui import api, pages
from sacred_runner.ui.context import UiContext
from sacred_runner.ui.guard import GuardMiddleware

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).parent / "static"


def create_app(stores: Sequence[Any], token: str | None = None,
               allowed_hosts: set[str] | None = None, poll_seconds: float = 2.0) -> Any:
    """The ASGI app showing ``stores`` (opened :class:`sacred.runs.RunStore` objects).

    ``token``: when set, every request must carry it (query ``token`` or the cookie
    set after the first such request). ``allowed_hosts``: the Host names accepted
    (None accepts any, for a server bound beyond loopback, where the token guards).
    ``poll_seconds``: how often pages of live runs ask for news.
    """
    context = UiContext(list(stores), poll_seconds=poll_seconds)
    get = ["GET"]
    routes = [
        Route("/", pages.home, methods=get),
        Route("/s/{sid:int}/", pages.runs_table, methods=get),
        Route("/s/{sid:int}/rows", api.rows, methods=get),
        Route("/s/{sid:int}/count", api.count, methods=get),
        Route("/s/{sid:int}/run/{run_id}", pages.run_page, methods=get),
        Route("/s/{sid:int}/run/{run_id}/metric", api.metric, methods=get),
        Route("/s/{sid:int}/run/{run_id}/output", api.output, methods=get),
        Route("/s/{sid:int}/run/{run_id}/file", api.stored_file, methods=get),
        Route("/s/{sid:int}/run/{run_id}/view", pages.file_view, methods=get),
        Route("/s/{sid:int}/compare", pages.compare_page, methods=get),
        Route("/s/{sid:int}/sweep/{sweep_id}", pages.sweep_page, methods=get),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers=pages.EXCEPTION_HANDLERS)
    app.state.ui = context
    return GuardMiddleware(app, token=token, allowed_hosts=allowed_hosts)
