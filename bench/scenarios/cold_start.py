"""Scenario 1: cold start of a whole process.

Times fresh interpreters: the bare floor (``python -c pass``), ``import sacred``,
an automain hello world, the same with ``-F DIR``, with ``with a=1`` and the
``print_config`` command; ``import_to_exit`` is hello world minus ``import sacred``
(what the run itself costs a fresh process).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from _bench import Result, clock, median, parse_args

HELLO = '''\
from sacred import Experiment

ex = Experiment("hello")


@ex.config
def cfg():
    a = 0  # the answer


@ex.automain
def main(a):
    print("Hello world! a=%s" % a)
'''


def timed(cmd: list[str], cwd: str) -> tuple[float, subprocess.CompletedProcess]:
    """Run ``cmd`` to completion; return wall seconds and the finished process."""
    start = clock()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=120)
    return clock() - start, proc


def main() -> None:
    args = parse_args(__doc__)
    result = Result()
    work = args.workdir
    with open(os.path.join(work, "hello.py"), "w") as f:
        f.write(HELLO)
    py = sys.executable
    store = os.path.join(work, "fs")
    cases = {
        "pass": [py, "-c", "pass"],
        "import": [py, "-c", "import sacred"],
        "hello": [py, "hello.py"],
        "hello_F": [py, "hello.py", "-F", store],
        "hello_with": [py, "hello.py", "with", "a=1"],
        "print_config": [py, "hello.py", "print_config"],
    }
    inner = 1 if args.quick else 3
    timed(cases["hello"], work)  # warm the page cache and bytecode of both packages
    last: dict[str, subprocess.CompletedProcess] = {}
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(inner):
        for name, cmd in cases.items():
            seconds, proc = timed(cmd, work)
            samples[name].append(seconds)
            last[name] = proc
    for name in cases:
        result.metric(f"{name}", median(samples[name]), "s")
    # what a hello world costs after `import sacred` is done, up to the process exit
    result.metric("import_to_exit", median([h - i for h, i in zip(samples["hello"],
                                                                   samples["import"],
                                                                   strict=True)]), "s")

    failed = {n: p.returncode for n, p in last.items() if p.returncode != 0}
    result.check("exit codes", not failed, f"non-zero: {failed}" if failed else "all 0")
    outputs_ok = (
        "Hello world! a=0" in last["hello"].stdout
        and "Hello world! a=1" in last["hello_with"].stdout
        and "a = 0" in last["print_config"].stdout
    )
    result.check("outputs", outputs_ok, "hello/with/print_config printed as expected"
                 if outputs_ok else "unexpected output")
    runs = sorted(d for d in os.listdir(store) if d.isdigit()) if os.path.isdir(store) else []
    statuses = []
    for run in runs:
        with open(os.path.join(store, run, "run.json")) as f:
            statuses.append(json.load(f).get("status"))
    expected = inner
    stored_ok = len(runs) == expected and all(s == "COMPLETED" for s in statuses)
    result.check("-F runs stored", stored_ok, f"{len(runs)}/{expected} runs, statuses {set(statuses)}",
                 lost=max(0, expected - len(runs)))
    result.write(args.out)


if __name__ == "__main__":
    main()
