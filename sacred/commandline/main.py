"""``run_commandline``: from argv to a finished run, with plain errors.

The flow: parse the arguments, answer ``help`` / ``-h``, split the ``with``
arguments into config updates and named configs, let the experiment's option
hooks see (and change) the options, then ``experiment.run(...)``.

Exit status: the Run is returned on success (status 0 when the script ends);
``SystemExit(1)`` for bad input and failed runs, ``SystemExit(130)`` on
Ctrl+C and ``SystemExit(143)`` on SIGTERM. User mistakes get a one-screen message on stderr (with the short
usage where it helps), never a traceback of our code; a failing experiment
gets its traceback without sacred's frames (``--debug`` re-raises instead).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence

from sacred.commandline.errors import CommandLineError
from sacred.commandline.parser import parse_argv
from sacred.commandline.usage import default_program_name, get_usage, short_usage
from sacred.commandline.values import split_updates
from sacred.commandline_options import BUILTIN_OPTIONS, canonical_key, spelling_087
from sacred.masking import mask_text
from sacred.utils import SacredError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn

__all__ = ["run_commandline", "apply_option_hooks", "HookOptions"]

FAILURE_EXIT_CODE = 1
INTERRUPT_EXIT_CODE = 130
SIGTERM_EXIT_CODE = 143  # 128 + SIGTERM, as a shell reports a process ended by SIGTERM
_PARSER_KEYS = ("COMMAND", "UPDATE", "help", "with")


def _argv_list(argv: Sequence[str] | str | None) -> list[str]:
    if argv is None:
        return list(sys.argv)
    if isinstance(argv, str):
        import shlex  # only a command line given as one string is split

        try:
            return shlex.split(argv)
        except ValueError as err:
            raise CommandLineError(f"Cannot split the command line {argv!r}: {err}") from None
    return [str(a) if isinstance(a, os.PathLike) else a for a in argv]


def _stderr(text: str) -> None:
    sys.stderr.write(mask_text(text).rstrip("\n") + "\n")
    sys.stderr.flush()


def _fail(err: BaseException, program_name: str) -> NoReturn:
    if getattr(err, "print_usage", False):
        _stderr(short_usage(program_name))
    if isinstance(err, CommandLineError):
        _stderr(f"Error: {err}")
    else:
        _stderr(f"{type(err).__name__}: {err}")
    if getattr(err, "print_traceback", False):
        _print_trace(err, debug=False)
    raise SystemExit(FAILURE_EXIT_CODE)


def _print_trace(err: BaseException, debug: bool) -> None:
    from sacred.run import format_filtered_stacktrace

    lines = format_filtered_stacktrace(err, debug)
    if not any(line.lstrip().startswith("File ") for line in lines):
        lines = lines[1:]  # no frame of the user's code: the error line says it all
    _stderr("".join(lines))


class HookOptions(dict):
    """The options dict option hooks get: keyed as in Sacred 0.8.7, any spelling works.

    Keys are the flags as 0.8.7 spells them (``--beat-interval``,
    ``--print-config``, a custom ``--own-flag`` as declared); reading, writing or
    deleting a flag under the other separator (``--beat_interval``) finds the same
    entry, so hooks written for either spelling behave the same.
    """

    def __init__(self, args: Mapping[str, Any], spellings: Mapping[str, str]) -> None:
        self._spellings = dict(spellings)
        super().__init__((self._key(k), v) for k, v in args.items())

    def _key(self, key: Any) -> Any:
        if isinstance(key, str) and key.startswith("-"):
            canonical = canonical_key(key)
            return self._spellings.get(canonical, canonical)
        return key

    def __getitem__(self, key: Any) -> Any:
        return super().__getitem__(self._key(key))

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(self._key(key), value)

    def __delitem__(self, key: Any) -> None:
        super().__delitem__(self._key(key))

    def __contains__(self, key: object) -> bool:
        return super().__contains__(self._key(key))

    def get(self, key: Any, default: Any = None) -> Any:
        """``dict.get`` for any spelling of a flag."""
        return super().get(self._key(key), default)

    def pop(self, key: Any, *default: Any) -> Any:
        """``dict.pop`` for any spelling of a flag."""
        return super().pop(self._key(key), *default)

    def setdefault(self, key: Any, default: Any = None) -> Any:
        """``dict.setdefault`` for any spelling of a flag."""
        return super().setdefault(self._key(key), default)

    def update(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        """``dict.update`` for any spelling of a flag."""
        for key, value in dict(*args, **kwargs).items():
            self[key] = value


def apply_option_hooks(experiment: Any, args: dict[str, Any]) -> dict[str, Any]:
    """Let each option hook see and change the options; only flags count.

    Hooks are called as ``hook(options=...)`` in registration order on one
    :class:`HookOptions` dict (keys spelled as in 0.8.7, any spelling accepted).
    Changes to ``COMMAND``, ``UPDATE``, ``help`` or ``with`` are ignored.
    """
    spellings = {
        option.key: spelling_087(option)
        for option in getattr(experiment, "all_cli_options", BUILTIN_OPTIONS)
    }
    options = HookOptions(args, spellings)
    for hook in getattr(experiment, "option_hooks", []):
        hook(options=options)
    result = {key: value for key, value in args.items() if key in _PARSER_KEYS}
    canonical = {
        k: v for k, v in options.items() if k not in _PARSER_KEYS and canonical_key(k) == k
    }
    respelled = {
        canonical_key(k): v
        for k, v in options.items()
        if k not in _PARSER_KEYS and str(k).startswith("-") and canonical_key(k) != k
    }
    result.update(canonical)
    result.update(respelled)
    return result


def _print_help(experiment: Any, args: dict[str, Any], commands: dict, program_name: str) -> None:
    from sacred.commands import help_for_command

    text = help_for_command(commands[args["COMMAND"]]) if args["COMMAND"] is not None else \
        get_usage(experiment, program_name)[1]
    try:
        print(text)
        sys.stdout.flush()
    except BrokenPipeError:  # python exp.py --help | head -5: the reader went away, which is fine
        from sacred.commandline._pipes import discard_stdout

        discard_stdout()


def run_commandline(experiment: Any, argv: Sequence[str] | str | None = None) -> Any:
    """Run the command-line interface of ``experiment``.

    ``argv`` is a list like ``sys.argv`` (program name first) or one string
    that is split like a shell would; it defaults to ``sys.argv``. Returns the
    finished Run, or None when only help was printed.
    """
    program_name = default_program_name(experiment)
    try:
        argv = _argv_list(argv)
        if argv and argv[0]:
            program_name = os.path.basename(argv[0])
        commands = dict(experiment.gather_commands())
        args = parse_argv(argv[1:], experiment.all_cli_options, list(commands))
        if args["help"] or args["--help"]:
            _print_help(experiment, args, commands, program_name)
            return None
        command_name = args["COMMAND"] or experiment.default_command
        if command_name is None:
            raise CommandLineError(
                "No command given and this experiment has no main function "
                "(@ex.main / @ex.automain). Available commands are: " + ", ".join(commands),
                print_usage=True,
            )
        config_updates, named_configs = split_updates(args["UPDATE"])
    except SacredError as err:
        _fail(err, program_name)
    return _execute(experiment, args, command_name, config_updates, named_configs, program_name)


def _execute(
    experiment: Any,
    args: dict[str, Any],
    command_name: str,
    config_updates: dict,
    named_configs: list[str],
    program_name: str,
) -> Any:
    from sacred.commands import remember_terminal

    debug = bool(args.get("--debug"))
    try:
        options = apply_option_hooks(experiment, args)
        debug = bool(options.get("--debug"))
        remember_terminal(_is_terminal(sys.stdout))
        return experiment.run(
            command_name,
            config_updates=config_updates,
            named_configs=named_configs,
            info={},
            meta_info={},
            options=options,
        )
    except KeyboardInterrupt as interrupt:
        if debug:
            raise
        from sacred.run import SigTermInterrupt

        if isinstance(interrupt, SigTermInterrupt):
            _stderr("SIGTERM: run interrupted")
            raise SystemExit(SIGTERM_EXIT_CODE) from None
        _stderr("KeyboardInterrupt: run interrupted")
        raise SystemExit(INTERRUPT_EXIT_CODE) from None
    except SacredError as err:
        if debug:
            raise
        _fail(err, program_name)
    except Exception as err:
        if debug:
            raise
        from sacred.observers._backend_import import MissingBackendError

        if isinstance(err, MissingBackendError):  # a missing optional package: one line, no traceback
            _stderr(f"Error: {err}")
            raise SystemExit(FAILURE_EXIT_CODE) from None
        _print_trace(err, debug=False)
        raise SystemExit(FAILURE_EXIT_CODE) from None
    finally:
        remember_terminal(None)


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
