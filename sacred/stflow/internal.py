"""Sacred 0.8.7's ``sacred.stflow.internal``: :class:`ContextMethodDecorator`."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from typing import Any

__all__ = ["ContextMethodDecorator"]


class ContextMethodDecorator(contextlib.ContextDecorator):
    """Wrap ``classx.method_name`` while the context (or decorated function) is active.

    Every call of the method goes through
    ``decorator_func(instance, original_method, original_args, original_kwargs)``,
    whose return value the caller gets; leaving the context restores the
    original method, also when the block raises.
    """

    def __init__(self, classx: type, method_name: str, decorator_func: Callable) -> None:
        self.classx = classx
        self.method_name = method_name
        self.decorator_func = decorator_func
        self._saved: list[tuple[bool, Any]] = []

    def __enter__(self) -> ContextMethodDecorator:
        own = self.method_name in vars(self.classx)
        original = getattr(self.classx, self.method_name)
        self._saved.append((own, vars(self.classx).get(self.method_name)))
        decorator_func = self.decorator_func

        @functools.wraps(original)
        def decorated(instance: Any, *args: Any, **kwargs: Any) -> Any:
            return decorator_func(instance, original, args, kwargs)

        setattr(self.classx, self.method_name, decorated)
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        own, previous = self._saved.pop()
        if own:
            setattr(self.classx, self.method_name, previous)
        else:
            delattr(self.classx, self.method_name)
        return False
