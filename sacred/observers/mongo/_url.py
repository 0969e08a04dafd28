"""Where a MongoObserver writes: the ``-m`` argument, URLs and client addresses.

``-m`` / ``--mongo_db`` accepts ``[host:port:]db_name[.collection][!priority]``
or a full ``mongodb://`` / ``mongodb+srv://`` URL (``/db_name[.collection]``
in the path, optionally followed by ``!priority``). Errors name the value with
its password masked and show the accepted forms.
"""

from __future__ import annotations

import re
from typing import Any

from sacred.masking import mask_text

__all__ = ["MONGO_DB_ARG_FORM", "client_address", "parse_mongo_db_arg"]

MONGO_DB_ARG_FORM = "[host:port:]db_name[.collection][!priority] or a mongodb:// URL"

_DB_NAME = r"[^/\\. \"$:!]+"
_CLI_PATTERN = re.compile(
    rf"^(?:(?P<host>[^:!]+):(?P<port>\d+):)?(?P<db_name>{_DB_NAME})"
    r"(?:\.(?P<collection>[^!$]+))?(?:!(?P<priority>-?\d+))?$"
)
_URL_SCHEMES = ("mongodb://", "mongodb+srv://")
_SRV_SCHEME = "mongodb+srv://"


def _cli_error(value: str, reason: str) -> ValueError:
    return ValueError(
        f"Invalid -m/--mongo_db value {mask_text(value)!r}: {reason}. "
        f"Expected {MONGO_DB_ARG_FORM}, e.g. 'my_db', 'localhost:27017:my_db.runs!10' "
        f"or 'mongodb://user:pass@host:27017/my_db'."
    )


def parse_mongo_db_arg(value: str) -> dict:
    """Parse a ``-m`` value into MongoObserver keyword arguments.

    Accepts ``[host:port:]db_name[.collection][!priority]`` and full
    ``mongodb://`` / ``mongodb+srv://`` URLs (``/db_name[.collection]`` in the
    path selects the database, an optional trailing ``!priority`` is allowed).
    """
    if not isinstance(value, str) or not value.strip():
        raise _cli_error(str(value), "it is empty")
    value = value.strip()
    if value.startswith(_URL_SCHEMES):
        return _parse_url_arg(value)
    return _parse_short_arg(value)


def _parse_url_arg(value: str) -> dict:
    kwargs: dict[str, Any] = {}
    url, _, prio = value.rpartition("!")
    if url and re.fullmatch(r"-?\d+", prio):
        kwargs["priority"] = int(prio)
    else:
        url = value
    from sacred.observers._backend_import import import_backend

    errors = import_backend("pymongo.errors", needed_by="MongoObserver", extra="mongo", packages=["pymongo"])
    InvalidURI, ConfigurationError = errors.InvalidURI, errors.ConfigurationError  # noqa: N806
    try:
        parsed = _parse_uri_offline(url)
    except (InvalidURI, ConfigurationError, ValueError) as exc:
        raise _cli_error(value, mask_text(str(exc))) from None
    kwargs["url"] = url
    if parsed.get("database"):
        kwargs["db_name"] = parsed["database"]
    if parsed.get("collection"):
        kwargs["collection"] = parsed["collection"]
    return kwargs


def _parse_short_arg(value: str) -> dict:
    match = _CLI_PATTERN.match(value)
    if match is None:
        raise _cli_error(value, "it does not have that form")
    kwargs: dict[str, Any] = {"db_name": match["db_name"]}
    if match["host"]:
        kwargs["url"] = f"{match['host']}:{match['port']}"
    if match["collection"]:
        kwargs["collection"] = match["collection"]
    if match["priority"] is not None:
        kwargs["priority"] = int(match["priority"])
    return kwargs


def _parse_uri_offline(url: str) -> dict:
    """pymongo's ``parse_uri``, except that ``mongodb+srv://`` (which needs DNS) is only checked for syntax."""
    if not url.startswith(_SRV_SCHEME):
        from pymongo.uri_parser import parse_uri

        return parse_uri(url)
    rest = url[len(_SRV_SCHEME):]
    hosts, _, path = rest.partition("/")
    if not hosts.rsplit("@", 1)[-1]:
        raise ValueError("the URL names no host")
    database, _, collection = path.split("?", 1)[0].partition(".")
    return {"database": database or None, "collection": collection or None}


def client_address(client: Any) -> str:
    """``mongodb://host:port`` of a connected (or configured) client, for messages."""
    try:
        host, port = client.address or (None, None)
    except Exception:  # noqa: BLE001 - address needs a connection; fall back below
        host, port = None, None
    if host is None:
        try:
            nodes = client.topology_description.server_descriptions()
            host, port = next(iter(nodes))
        except Exception:  # noqa: BLE001 - no client or no known node
            return "mongodb://<client>"
    return f"mongodb://{host}:{port}"
