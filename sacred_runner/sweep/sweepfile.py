"""Read a sweep file (``--sweep sweep.yaml``): a grid, a list of points, or a random search.

```yaml
grid:                       # every combination
  lr: [0.1, 0.01]
  bs: range(16, 65, 16)
  optimizer.name: adam      # one value: fixed for every point
  named_configs: [small, large]
```

```yaml
points:                     # exactly these points
  - {lr: 0.1, bs: 32}
  - {lr: 0.01, bs: 64, named_configs: [large]}
```

```yaml
random: {trials: 20, seed: 1}
parameters:
  lr: loguniform(1e-4, 1e-1)
  bs: choice(32, 64)
  dropout: {uniform: [0.0, 0.5]}
  layers: randint(1, 5)      # 1..4
fixed: {epochs: 3}
```

Every mistake is reported as ``FILE:LINE: what is wrong (what is accepted)``.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.sweep.axes import NAMED_CONFIGS_KEY, Axis, parse_range
from sacred_runner.sweep.distributions import make_distribution
from sacred_runner.sweep.space import Grid, PointList, RandomSearch, SearchSpace, SweepPoint

__all__ = ["load_sweep_file", "parse_sweep_text"]

_CALL = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*\((?P<args>.*)\)\s*$", re.DOTALL)
_KINDS = ("grid", "points", "random")
_TOP_KEYS = (*_KINDS, "parameters", "fixed")


class _Located:
    """A YAML node with its line, for error messages."""

    def __init__(self, loader: Any, node: Any, where: str, key_node: Any = None) -> None:
        self.loader = loader
        self.node = node
        self.where = where
        self.key_node = key_node  # for a mapping value: its key, whose line names the entry

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    def error(self, message: str) -> UsageError:
        return UsageError(f"{self.where}:{self.line}: {message}")

    def key_error(self, message: str) -> UsageError:
        line = self.key_node.start_mark.line + 1 if self.key_node is not None else self.line
        return UsageError(f"{self.where}:{line}: {message}")

    def is_mapping(self) -> bool:
        import yaml

        return isinstance(self.node, yaml.MappingNode)

    def is_sequence(self) -> bool:
        import yaml

        return isinstance(self.node, yaml.SequenceNode)

    def items(self) -> list[tuple[str, _Located]]:
        if not self.is_mapping():
            raise self.error(f"expected a mapping (key: value), got {self._kind()}")
        pairs = []
        for key_node, value_node in self.node.value:
            key = self.loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise _Located(self.loader, key_node, self.where).error(f"keys must be strings, got {key!r}")
            pairs.append((key, _Located(self.loader, value_node, self.where, key_node)))
        return pairs

    def elements(self) -> list[_Located]:
        if not self.is_sequence():
            raise self.error(f"expected a list, got {self._kind()}")
        return [_Located(self.loader, node, self.where) for node in self.node.value]

    def value(self) -> Any:
        return self.loader.construct_object(self.node, deep=True)

    def _kind(self) -> str:
        if self.is_mapping():
            return "a mapping"
        if self.is_sequence():
            return "a list"
        return repr(self.value())


def _grid_axis(key: str, entry: _Located) -> Axis:
    if key == NAMED_CONFIGS_KEY:
        names = entry.value()
        alternatives = names if isinstance(names, list) else [names]
        if not alternatives:
            raise entry.error("the named_configs axis has no values")
        return Axis(key, tuple(tuple(a) if isinstance(a, list) else (str(a),) for a in alternatives), named=True)
    if entry.is_sequence():
        values = entry.value()
        if not values:
            raise entry.error(f"the sweep axis {key!r} has no values")
        return Axis(key, tuple(values))
    value = entry.value()
    if isinstance(value, str) and value.strip().startswith("range"):
        try:
            return Axis(key, parse_range(value, key) or ())
        except UsageError as error:
            raise entry.error(str(error)) from None
    if isinstance(value, dict) and not value:
        raise entry.error(f"the sweep axis {key!r} has no values")
    return Axis(key, (value,))


def _grid(section: _Located) -> Grid:
    return Grid([_grid_axis(key, entry) for key, entry in section.items()])


def _point(entry: _Located) -> SweepPoint:
    updates: dict[str, Any] = {}
    named: tuple[str, ...] = ()
    for key, value in entry.items():
        if key == NAMED_CONFIGS_KEY:
            names = value.value()
            named = tuple(str(n) for n in (names if isinstance(names, list) else [names]))
        else:
            updates[key] = value.value()
    return SweepPoint(updates, named)


def _points(section: _Located) -> PointList:
    entries = [_point(entry) for entry in section.elements()]
    if not entries:
        raise section.error("'points' is an empty list")
    return PointList(entries)


def _distribution(key: str, entry: _Located) -> Any:
    if entry.is_mapping():
        pairs = entry.items()
        if len(pairs) != 1:
            raise entry.error(f"{key!r}: write one distribution, e.g. {{uniform: [0, 1]}}")
        kind, arguments = pairs[0]
        args = arguments.value()
        args = tuple(args) if isinstance(args, list) else (args,)
    else:
        text = entry.value()
        match = _CALL.match(text) if isinstance(text, str) else None
        if match is None:
            raise entry.error(
                f"{key!r}: expected a distribution such as choice(32, 64), uniform(0, 1), "
                f"loguniform(1e-4, 1e-1) or randint(1, 5), got {text!r}"
            )
        kind = match.group("name")
        try:
            args = ast.literal_eval(f"({match.group('args')},)") if match.group("args").strip() else ()
        except (ValueError, SyntaxError):
            raise entry.error(f"{key!r}: the arguments of {text!r} are not literals") from None
    try:
        return make_distribution(kind, tuple(args))
    except ValueError as error:
        raise entry.error(f"{key!r}: {error}") from None


def _int_field(section: dict[str, _Located], name: str, default: int | None) -> int:
    entry = section.get(name)
    if entry is None:
        if default is None:
            raise UsageError(f"'random' needs '{name}'")
        return default
    value = entry.value()
    if not isinstance(value, int) or isinstance(value, bool) or value < (1 if name == "trials" else 0):
        raise entry.error(f"random.{name} must be a {'positive' if name == 'trials' else 'non-negative'} integer, got {value!r}")
    return value


def _random(section: _Located, parameters: _Located | None, default_seed: int) -> RandomSearch:
    fields = dict(section.items())
    for name, entry in fields.items():
        if name not in ("trials", "seed"):
            raise entry.key_error(f"unknown key random.{name} (random takes trials and seed)")
    if "trials" not in fields:
        raise section.error("'random' needs 'trials' (e.g. random: {trials: 20, seed: 1})")
    if parameters is None:
        raise section.error("a random search needs 'parameters' (key: distribution)")
    distributions = {key: _distribution(key, entry) for key, entry in parameters.items()}
    if not distributions:
        raise parameters.error("'parameters' is empty")
    return RandomSearch(_int_field(fields, "trials", None), _int_field(fields, "seed", default_seed), distributions)


def parse_sweep_text(text: str, where: str, default_seed: int = 0) -> SearchSpace:
    """The search space described by the YAML ``text`` (``where`` names it in errors)."""
    import yaml

    from sacred_runner.sweep.space import Product

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise UsageError(f"{where}{line}: not valid YAML: {getattr(error, 'problem', None) or error}") from None
    finally:
        loader.dispose()
    if node is None:
        raise UsageError(f"{where}: the sweep file is empty (write grid:, points: or random:)")
    root = _Located(loader, node, where)
    sections = dict(root.items())
    for name, entry in sections.items():
        if name not in _TOP_KEYS:
            raise entry.key_error(f"unknown key {name!r} (a sweep file has one of grid, points, random; plus parameters, fixed)")
    kinds = [name for name in _KINDS if name in sections]
    if len(kinds) != 1:
        raise root.error("a sweep file needs exactly one of grid, points or random")
    kind = kinds[0]
    if "parameters" in sections and kind != "random":
        raise sections["parameters"].error("'parameters' belongs to a random search (random: {trials: N})")
    if kind == "grid":
        space: SearchSpace = _grid(sections["grid"])
    elif kind == "points":
        space = _points(sections["points"])
    else:
        space = _random(sections["random"], sections.get("parameters"), default_seed)
    if "fixed" in sections:
        fixed = Grid([Axis(key, (entry.value(),)) for key, entry in sections["fixed"].items()])
        space = Product(fixed, space)
    return space


def load_sweep_file(path: Path, where: str | None = None, default_seed: int = 0) -> SearchSpace:
    """Read ``path``; a missing or unreadable file is a usage error."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read the sweep file {path}: {error.strerror}") from None
    return parse_sweep_text(text, where or str(path), default_seed)
