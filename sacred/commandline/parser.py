"""The argv grammar of an experiment file.

::

    prog [COMMAND] [with UPDATE ...] [FLAGS]
    prog help [COMMAND]
    prog (-h | --help)

Flags may stand anywhere: before or after the command and in between
updates. A valued flag takes its value as ``-l VALUE``, ``-lVALUE``,
``--loglevel=VALUE`` or ``--loglevel VALUE``; bare short flags can be
combined (``-pu``). Long flags are accepted with ``_`` or ``-``
(``--print_config`` / ``--print-config``) and as unique prefixes
(``--comm``). ``--`` ends the flags: what follows is positional.

:func:`parse_argv` returns a plain dict: ``COMMAND``, ``UPDATE`` (list of
strings), ``help`` (the ``help`` command), ``with`` and one entry per option
under its canonical key (``--loglevel``, ``--print_config``, ...): ``True`` /
``False`` for bare flags, the string value or ``None`` for valued ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sacred.commandline.errors import CommandLineError
from sacred.commandline_options import BUILTIN_OPTIONS, CLIOption, canonical_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["parse_argv", "get_default_options", "find_option"]


def get_default_options(cli_options: Iterable[CLIOption] = BUILTIN_OPTIONS) -> dict[str, Any]:
    """Default value for every option, keyed canonically (``--beat_interval``).

    Bare flags default to ``False``, valued options to ``None``.
    """
    return {option.key: (False if option.is_flag else None) for option in cli_options}


def _long_name(option: CLIOption) -> str:
    return option.key[2:]


def find_option(flag: str, cli_options: Sequence[CLIOption]) -> CLIOption:
    """The option a long flag (any spelling, or a unique prefix) refers to."""
    wanted = canonical_key(flag)[2:]
    for option in cli_options:
        if _long_name(option) == wanted:
            return option
    candidates = [o for o in cli_options if _long_name(o).startswith(wanted)]
    if len(candidates) == 1:
        return candidates[0]
    if len(candidates) > 1:
        names = ", ".join(o.long_flag for o in candidates)
        raise CommandLineError(f"Option {flag} is ambiguous: it could be {names}", print_usage=True)
    import difflib  # only for the error message

    close = difflib.get_close_matches(wanted, [_long_name(o) for o in cli_options], n=3)
    hint = f" Did you mean {' or '.join('--' + c for c in close)}?" if close else ""
    raise CommandLineError(f"Unknown option: {flag}.{hint}", print_usage=True)


def _find_short(flag: str, cli_options: Sequence[CLIOption]) -> CLIOption:
    for option in cli_options:
        if option.short_flag == flag:
            return option
    known = " ".join(sorted(o.short_flag for o in cli_options if o.short_flag))
    raise CommandLineError(
        f"Unknown option: {flag}. Known short options: {known}", print_usage=True
    )


def _missing_value(option: CLIOption, spelled: str) -> CommandLineError:
    return CommandLineError(
        f"Option {spelled} requires a value: {option.get_flags()[0]} {option.arg} "
        f"or {option.long_flag}={option.arg}",
        print_usage=True,
    )


class _ArgvReader:
    """Walks the argument list once, collecting options and positionals."""

    def __init__(self, args: Sequence[str], cli_options: Sequence[CLIOption]) -> None:
        self.args = list(args)
        self.cli_options = list(cli_options)
        self.position = 0
        self.options = get_default_options(self.cli_options)
        self.positionals: list[str] = []

    def next_value(self, option: CLIOption, spelled: str) -> str:
        if self.position >= len(self.args):
            raise _missing_value(option, spelled)
        value = self.args[self.position]
        self.position += 1
        return value

    def read_long(self, token: str) -> None:
        name, has_value, value = token.partition("=")
        option = find_option(name, self.cli_options)
        if option.is_flag:
            if has_value:
                raise CommandLineError(
                    f"Option {option.long_flag} is a flag and takes no value (got {token!r})",
                    print_usage=True,
                )
            self.options[option.key] = True
        else:
            self.options[option.key] = value if has_value else self.next_value(option, name)

    def read_short(self, token: str) -> None:
        letters = token[1:]
        for index, letter in enumerate(letters):
            option = _find_short("-" + letter, self.cli_options)
            if option.is_flag:
                self.options[option.key] = True
                continue
            rest = letters[index + 1 :]
            self.options[option.key] = rest if rest else self.next_value(option, "-" + letter)
            return

    def read_all(self) -> None:
        only_positionals = False
        while self.position < len(self.args):
            token = self.args[self.position]
            self.position += 1
            if only_positionals or token == "-" or not token.startswith("-"):
                self.positionals.append(token)
            elif token == "--":
                only_positionals = True
            elif token.startswith("--"):
                self.read_long(token)
            else:
                self.read_short(token)


def _unknown_command(name: str, commands: Sequence[str]) -> CommandLineError:
    import difflib  # only for the error message

    close = difflib.get_close_matches(name, list(commands), n=3)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    return CommandLineError(
        f'Command "{name}" not found.{hint} Available commands are: {", ".join(commands)}',
        print_usage=True,
    )


def _split_positionals(positionals: list[str], result: dict[str, Any]) -> None:
    if positionals and positionals[0] == "help":
        rest = positionals[1:]
        if len(rest) > 1:
            raise CommandLineError(
                f"help takes at most one COMMAND, got: {' '.join(rest)}", print_usage=True
            )
        result["help"] = True
        result["COMMAND"] = rest[0] if rest else None
        return
    if "with" in positionals:
        index = positionals.index("with")
        before = positionals[:index]
        updates = [p for p in positionals[index + 1 :] if p != "with"]
        if not updates:
            raise CommandLineError(
                "`with` must be followed by at least one UPDATE: key=value "
                "(e.g. foo.bar=17) or the name of a named config or config file",
                print_usage=True,
            )
        result["with"] = True
        result["UPDATE"] = updates
    else:
        before = positionals
    if len(before) > 1:
        stray = before[1:]
        hint = ""
        if any("=" in s for s in stray) or "=" in before[0]:
            hint = f" Config updates go after `with`: with {' '.join(stray)}"
        raise CommandLineError(
            f"Expected at most one COMMAND before `with`, got: {' '.join(before)}.{hint}",
            print_usage=True,
        )
    if before and "=" in before[0]:
        raise CommandLineError(
            f"{before[0]!r} looks like a config update, which must follow `with`: "
            f"with {' '.join(before)}",
            print_usage=True,
        )
    result["COMMAND"] = before[0] if before else None


def parse_argv(
    args: Sequence[str],
    cli_options: Sequence[CLIOption] = BUILTIN_OPTIONS,
    commands: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Parse the arguments after the program name.

    ``cli_options`` are all flags the experiment accepts; if ``commands`` is
    given, a COMMAND (also after ``help``) must be one of them. Raises
    :class:`CommandLineError` for an unknown flag or command, a flag missing
    its value, a value given to a bare flag, or ``with`` followed by nothing.
    """
    for arg in args:
        if not isinstance(arg, str):
            raise CommandLineError(f"Command-line arguments must be strings, got {arg!r}")
    reader = _ArgvReader(args, cli_options)
    reader.read_all()
    result: dict[str, Any] = {"COMMAND": None, "UPDATE": [], "help": False, "with": False}
    _split_positionals(reader.positionals, result)
    if commands is not None and result["COMMAND"] is not None:
        if result["COMMAND"] not in commands:
            raise _unknown_command(result["COMMAND"], list(commands))
    result.update(reader.options)
    return result
