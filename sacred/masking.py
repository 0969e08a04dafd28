"""The one rule for hiding credentials in text that is stored, logged or printed.

* :func:`mask_text` replaces every credential a URL can carry inside a string by
  ``***``: the password of the user info (``postgresql://u:***@host/db``, also when
  the password holds ``/``, as SQLAlchemy accepts), a user name given without a
  password (``https://***@github.com/o/r.git``: a token used as user name; ``ssh``
  user names such as ``git`` are kept) and the value of query parameters whose name
  looks like a credential (``?password=***``, ``&api_key=***``, ``token``,
  ``secret``, ``signature``, ...).
* :func:`mask_secrets` applies :func:`mask_text` to every string of a nested
  structure (dicts, lists, tuples) and returns a copy.

Both run in time linear in the length of the text, by construction: every scan
(``str.find`` / ``str.rfind`` and two regular expressions without nested or
overlapping repetition) starts where the previous one stopped.
"""

from __future__ import annotations

import re

from sacred.utils import map_leaves

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["MASK", "mask_text", "mask_secrets"]

MASK = "***"

# Schemes whose user name is an account name, never a credential (ssh://git@host/...).
_PLAIN_USER_SCHEMES = frozenset({"ssh", "git+ssh", "ssh+git", "sftp", "scp"})
# Characters that cannot be part of a URL's user name: where they appear, "x@" is not user info.
_NOT_IN_USER = frozenset('/?#[]"<>{}|\\^` \t\r\n\x0b\x0c')
_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")
# Query parameters whose value is a credential: a word of the name (split at "_", "-", ".",
# brackets and camelCase humps) is one of these.
_SECRET_WORDS = frozenset({
    "password", "passwd", "pass", "pwd", "pw", "passphrase", "token", "secret", "key", "apikey",
    "accesskey", "secretkey", "privatekey", "accesstoken", "authtoken", "refreshtoken",
    "clientsecret", "credential", "credentials", "signature", "sig", "auth", "authorization", "sas",
})
_NAME_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
# A query parameter: a delimiter, a name, "=", a value. The name and value classes exclude the
# delimiters, so each character is looked at a bounded number of times (no backtracking blow-up).
_QUERY_PARAMETER = re.compile(r"([?&;])([A-Za-z0-9_.\-\[\]]+)=([^&#;\s'\"<>]*)")
_WHITESPACE = re.compile(r"(\s+)")


def _is_secret_parameter(name: str) -> bool:
    """True for ``password``, ``api_key``, ``accessToken``, ``X-Amz-Signature``; not ``authSource``."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if words and words[0] == "auth" and len(words) > 1:  # authSource, authMechanism: settings
        words = words[1:]
    return any(word in _SECRET_WORDS for word in words)


def _mask_parameter(match: re.Match) -> str:
    delimiter, name, value = match.groups()
    if not value or not _is_secret_parameter(name):
        return match.group(0)
    return f"{delimiter}{name}={MASK}"


def _scheme_before(token: str, separator: int) -> str:
    """The URL scheme that ends at ``separator`` (the index of "://")."""
    start = separator
    while start > 0 and token[start - 1] in _SCHEME_CHARS:
        start -= 1
    return token[start:separator].lower()


def _masked_user_info(user_info: str, scheme: str) -> str | None:
    """The masked form of ``user_info`` (text between "://" and "@"), or None if it is not user info."""
    user, colon, _password = user_info.partition(":")
    if any(char in _NOT_IN_USER for char in user):
        return None
    if colon:
        return f"{user}:{MASK}"
    if not user or scheme in _PLAIN_USER_SCHEMES:
        return None
    return MASK


def _mask_user_info(token: str) -> str:
    """``token`` (text without whitespace) with the user info of every URL masked."""
    pieces: list[str] = []
    position = 0
    while True:
        separator = token.find("://", position)
        if separator < 0:
            break
        at = token.find("@", separator + 3)
        if at < 0:
            break
        # The "@" ends the user info of the first "://" before it if that reads as user info
        # (a password may itself contain "://"), else that of the last one.
        masked = _masked_user_info(token[separator + 3 : at], _scheme_before(token, separator))
        last = token.rfind("://", separator + 3, at)
        if masked is None and last >= 0:
            separator = last
            masked = _masked_user_info(token[separator + 3 : at], _scheme_before(token, separator))
        start = separator + 3
        pieces.append(token[position:start])
        pieces.append(token[start:at] if masked is None else masked)
        position = at
    pieces.append(token[position:])
    return "".join(pieces)


def mask_text(text: Any) -> Any:
    """``text`` with every credential carried by a URL inside it replaced by ``***``.

    ``mongodb://user:secret@host/db`` becomes ``mongodb://user:***@host/db``;
    ``https://TOKEN@host/o/r.git`` becomes ``https://***@host/o/r.git``;
    ``https://host/x?token=abc&page=2`` becomes ``https://host/x?token=***&page=2``.
    Anything that is not a ``str`` is returned unchanged. Linear in ``len(text)``.
    """
    if not isinstance(text, str):
        return text
    if "://" in text:
        if _WHITESPACE.search(text):
            text = "".join(
                _mask_user_info(part) if "@" in part and "://" in part else part
                for part in _WHITESPACE.split(text)
            )
        elif "@" in text:
            text = _mask_user_info(text)
    if "=" in text:
        text = _QUERY_PARAMETER.sub(_mask_parameter, text)
    return text


def mask_secrets(value: Any) -> Any:
    """A copy of ``value`` with :func:`mask_text` applied to every string inside it.

    Used for everything stored or logged, e.g. ``--sql postgresql://user:secret@host/db``
    in a run's ``meta_info["options"]``. Tuples become lists; the input is untouched.
    """
    return map_leaves(value, mask_text)
