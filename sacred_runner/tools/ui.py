"""``sacred ui``: serve a read-only web view of one or more stores on this machine.

    sacred ui [--store S ...] [--port P] [--host 127.0.0.1] [--allow-remote]

Binds loopback by default. Any other address needs ``--allow-remote``; it then
prints a warning and a URL with an access token that every request must carry.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

from sacred_runner.color import add_color_option, paint, wants_color
from sacred_runner.errors import ExitCode, UsageError

__all__ = ["SUMMARY", "DEFAULT_PORT", "main"]

SUMMARY = "serve a read-only web view of stores (runs table, run pages, charts): sacred ui [--store S ...]"
DEFAULT_PORT = 5151
_EXTRA_HINT = "sacred ui needs the 'ui' extra: pip install 'sacred[ui]' (starlette, uvicorn, jinja2)"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one ERROR line, exit 4, as every user mistake
        raise UsageError(f"sacred ui: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The ``sacred ui`` argument parser."""
    parser = _Parser(prog="sacred ui", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", action="append", default=[], metavar="S",
                        help="a store to show: a FileStorage/TinyDB/embedded folder or a URL "
                             "(sqlite:///x.db, postgresql://..., mongodb://host/db); repeatable; "
                             "default: the rootdir's configured stores")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default 127.0.0.1: this machine only)")
    parser.add_argument("--allow-remote", action="store_true",
                        help="allow binding an address other machines can reach; a token is then required")
    parser.add_argument("--poll", type=float, default=2.0, metavar="SECONDS",
                        help="how often pages of live runs refresh (default 2)")
    add_color_option(parser)
    return parser


def _check_dependencies() -> None:
    for module in ("starlette", "uvicorn", "jinja2"):
        try:
            __import__(module)
        except ImportError:
            raise UsageError(_EXTRA_HINT) from None


def _default_stores() -> list[str]:
    """The stores configured for the current folder (the run reader decides which), else the folder."""
    try:
        from sacred.runs import default_store_specs
    except ImportError:
        return ["."]
    return list(default_store_specs()) or ["."]


def open_stores(specs: list[str]) -> list[Any]:
    """Open every store named; UsageError for one that does not exist or is not a store."""
    from sacred.runs import StoreError, open_store

    stores = []
    for spec in specs:
        try:
            stores.append(open_store(spec))
        except StoreError as error:
            raise UsageError(f"--store {spec}: {error}") from None
    return stores


def _open_default_stores() -> list[Any]:
    try:
        return open_stores(_default_stores())
    except UsageError as error:
        raise UsageError(f"sacred ui: no --store given, and none found here ({error}); "
                         "name one with --store PATH_OR_URL") from None


def main(argv: list[str], stdout: TextIO) -> int:
    """Parse ``argv``, open the stores, print the URL and serve until interrupted."""
    from sacred_runner.ui.guard import is_loopback, new_token
    from sacred_runner.ui.server import bind, serve, url_host

    args = build_parser().parse_args(argv)
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port {args.port}: must be between 0 and 65535")
    if not args.poll > 0:
        raise UsageError(f"--poll {args.poll}: must be a positive number of seconds")
    loopback = is_loopback(args.host)
    if not loopback and not args.allow_remote:
        raise UsageError(f"--host {args.host}: not a loopback address; other machines could read your runs. "
                         "Add --allow-remote to do it anyway (a token will be required)")
    _check_dependencies()
    stores = open_stores(args.store) if args.store else _open_default_stores()
    from sacred_runner.ui.app import create_app

    token = None if loopback else new_token()
    allowed = None if not loopback else {"127.0.0.1", "localhost", "::1", args.host.strip("[]").lower()}
    app = create_app(stores, token=token, allowed_hosts=allowed, poll_seconds=args.poll)
    from sacred_runner.ui.series import warm_up

    warm_up()  # before the URL is shown: the first chart then finds numpy loaded
    sock = bind(args.host, args.port)
    port = sock.getsockname()[1]
    url = f"http://{url_host(args.host)}:{port}/" + (f"?token={token}" if token else "")
    color = wants_color(args.color, stdout)
    if not loopback:
        print(f"{paint('WARNING', 'yellow', color)}: sacred ui listens on {args.host}, reachable from other machines; "
              "anyone with the URL below (it holds the access token) can read these stores.",
              file=stdout)
    for number, store in enumerate(stores):
        print(f"store {number}: {store.description}", file=stdout)
    print(f"sacred ui: serving on {paint(url, 'bold', color)}  (Ctrl+C to stop)", file=stdout)
    stdout.flush()
    try:
        serve(app, sock, stdout)
    finally:
        for store in stores:
            close = getattr(store, "close", None)
            if close is not None:
                close()
    return ExitCode.OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:], sys.stdout))
