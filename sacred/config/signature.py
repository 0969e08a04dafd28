"""Signature: fill a captured function's missing arguments from the config."""

from __future__ import annotations

from collections import OrderedDict

from sacred import introspection
from sacred.utils import MissingConfigError, SignatureError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

__all__ = ["Signature"]


class Signature:
    """The parameters of a function and how to complete a call from options.

    Sacred 0.8.7's attributes are kept: ``arguments`` (all named parameters),
    ``positional_args`` (those without a default), ``kwargs`` (an ordered
    mapping of those with a default), ``vararg_name`` and ``kw_wildcard_name``
    (the ``*args`` and ``**kwargs`` names, or None).
    """

    def __init__(self, func: Callable) -> None:
        self.name = getattr(func, "__name__", repr(func))
        self.positional: list[str] = []
        self.keyword_only: list[str] = []
        self.defaults: dict[str, Any] = {}
        self.vararg: str | None = None
        self.kwarg: str | None = None
        for param in introspection.parameters(func):
            if param.kind <= introspection.POSITIONAL_OR_KEYWORD:
                self.positional.append(param.name)
            elif param.kind == introspection.KEYWORD_ONLY:
                self.keyword_only.append(param.name)
            elif param.kind == introspection.VAR_POSITIONAL:
                self.vararg = param.name
            else:
                self.kwarg = param.name
            if param.default is not introspection.EMPTY:
                self.defaults[param.name] = param.default
        self.arguments = self.positional + self.keyword_only
        self.positional_args = [a for a in self.arguments if a not in self.defaults]
        self.kwargs = OrderedDict((a, self.defaults[a]) for a in self.arguments if a in self.defaults)
        self.vararg_name = self.vararg
        self.kw_wildcard_name = self.kwarg
        self._func = func

    def __str__(self) -> str:
        import inspect  # only for showing it

        return f"{self.name}{inspect.signature(self._func)}"

    def get_free_parameters(self, args: tuple, kwargs: Mapping, bound: bool = False) -> list[str]:
        """Names not given explicitly by ``args``/``kwargs`` (``bound``: skip ``self``)."""
        offset = 1 if bound else 0
        given = set(self.positional[offset : offset + len(args)]) | set(kwargs)
        return [a for a in self.arguments[offset:] if a not in given]

    def construct_arguments(
        self,
        args: tuple,
        kwargs: dict,
        options: Mapping,
        bound: bool = False,
        special: Mapping | None = None,
    ) -> tuple[tuple, dict]:
        """Return ``(args, kwargs)`` completed from ``special`` values and ``options``.

        ``bound`` says the function is a bound method whose first parameter
        (``self``) is already given.

        Priority: explicit arguments > config options > defaults. Raises
        ``TypeError`` for too many positionals or unexpected keywords and
        :class:`MissingConfigError` for values nobody provides.
        """
        offset = 1 if bound else 0
        if self.vararg is None and len(args) > len(self.positional) - offset:
            raise SignatureError(
                f"{self.name}() got too many positional arguments: takes "
                f"{len(self.positional) - offset}, got {len(args)}"
            )
        if self.kwarg is None:
            unexpected = [k for k in kwargs if k not in self.arguments]
            if unexpected:
                raise SignatureError(
                    f"{self.name}() got unexpected keyword argument(s): "
                    + ", ".join(repr(u) for u in unexpected)
                )
        duplicated = [p for p in self.positional[offset : offset + len(args)] if p in kwargs]
        if duplicated:
            raise SignatureError(
                f"{self.name}() got multiple values for argument(s): "
                + ", ".join(repr(d) for d in duplicated)
            )
        kwargs = dict(kwargs)
        missing = []
        for name in self.get_free_parameters(args, kwargs, bound):
            if special is not None and name in special:
                kwargs[name] = special[name]
            elif name in options:
                kwargs[name] = options[name]
            elif name not in self.defaults:
                missing.append(name)
        if missing:
            raise MissingConfigError(
                f"{self.name}() is missing value(s) for {', '.join(repr(m) for m in missing)}: "
                "pass them explicitly or add them to the configuration",
                missing_configs=tuple(missing),
                func=self.name,
            )
        # keep positional order for parameters that follow given positionals
        return tuple(args), kwargs
