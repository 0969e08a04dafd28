"""Scenario 5: a large configuration.

Generates an experiment module whose config scope has ENTRIES entries (ints,
floats, strings, lists, dicts, some with doc comments) and 3 named configs,
then times: building the experiment (importing that module), a run of the
no-op main with 200 config updates and a named config, and ``print_config``
with the same updates.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import sys

from _bench import Result, clock, median, parse_args


def entry(i: int) -> str:
    """Source line of config entry ``i`` (type cycles through five kinds)."""
    kind = i % 5
    value = [f"{i}", f"{i}.5", f"'text{i}'", f"[{i}, {i + 1}, {i + 2}]", f"{{'x': {i}, 'y': 'v'}}"][kind]
    doc = f"  # documentation of a{i}" if i % 10 == 0 else ""
    return f"    a{i} = {value}{doc}\n"


def module_source(entries: int) -> str:
    """Source of the generated experiment module."""
    lines = ["from sacred import Experiment\n\n", "ex = Experiment('bigconfig')\n\n\n",
             "@ex.config\n", "def cfg():\n"]
    lines += [entry(i) for i in range(entries)]
    for j in range(3):
        lines += ["\n\n", "@ex.named_config\n", f"def variant{j}():\n"]
        lines += [f"    a{5 * (j * 10 + k) + 1} = {j}.25\n" for k in range(10)]
    lines += ["\n\n", "@ex.main\n", "def main():\n", "    return 'done'\n"]
    return "".join(lines)


def updates(count: int) -> dict:
    """``count`` updates to integer entries, keeping their type."""
    return {f"a{5 * k}": 100_000 + k for k in range(count)}


def main() -> None:
    args = parse_args(__doc__, entries={"type": int, "default": 2000})
    result = Result()
    entries = args.entries
    with open(f"{args.workdir}/bigconfig.py", "w") as f:
        f.write(module_source(entries))
    sys.path.insert(0, args.workdir)
    import sacred  # noqa: F401  (the package's own import is not part of the build)

    start = clock()
    module = importlib.import_module("bigconfig")
    result.metric("build", clock() - start, "s")
    ex = module.ex
    update_count = min(200, entries // 5)
    config_updates = updates(update_count)
    inner = 3  # the median hides the first run's one-time costs (host info, sources)

    run_times, runs = [], []
    for _ in range(inner):
        start = clock()
        runs.append(ex.run(config_updates=config_updates, named_configs=["variant1"]))
        run_times.append(clock() - start)
    result.metric("run", median(run_times), "s")

    print_times, printed = [], ""
    for _ in range(inner):
        buffer = io.StringIO()
        start = clock()
        with contextlib.redirect_stdout(buffer):
            ex.run("print_config", config_updates=config_updates, named_configs=["variant1"])
        print_times.append(clock() - start)
        printed = buffer.getvalue()
    result.metric("print_config", median(print_times), "s")

    config = runs[-1].config
    present = sum(1 for i in range(entries) if f"a{i}" in config)
    applied = all(config.get(k) == v for k, v in config_updates.items())
    named = all(config.get(f"a{5 * (10 + k) + 1}") == 1.25 for k in range(10))
    result.check("config entries", present == entries and applied and named,
                 f"{present}/{entries} entries, updates applied={applied}, named config={named}",
                 lost=entries - present)
    printed_keys = {m.group(1) for m in re.finditer(r"\ba(\d+)\s*[=:]", printed)}
    shown = sum(1 for i in range(entries) if str(i) in printed_keys)
    result.check("print_config entries", shown == entries, f"{shown}/{entries} printed",
                 lost=entries - shown)
    result.write(args.out)


if __name__ == "__main__":
    main()
