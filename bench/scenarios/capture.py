"""Scenario 4: output capture under ``fd`` and ``sys``.

Starts ``capture_child.py`` as a subprocess (stdout redirected to a file so
``fd`` capture sees a real descriptor) printing LINES numbered lines with a
FileStorageObserver, then counts the lines missing from ``cout.txt``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from _bench import Result, clock, only_run_dir, parse_args

HERE = os.path.dirname(os.path.abspath(__file__))
LINE = re.compile(r"^line (\d+)$")


def count_lines(path: str, lines: int) -> int:
    """How many distinct expected lines ``line 0`` .. ``line N-1`` appear in ``path``."""
    seen = set()
    with open(path, errors="replace") as f:
        for text in f:
            match = LINE.match(text.rstrip("\r\n"))
            if match and int(match.group(1)) < lines:
                seen.add(int(match.group(1)))
    return len(seen)


def main() -> None:
    args = parse_args(__doc__, mode={"choices": ["fd", "sys"], "required": True},
                      lines={"type": int, "default": 100_000})
    result = Result()
    store = os.path.join(args.workdir, f"fs_{args.mode}")
    timing = os.path.join(args.workdir, f"timing_{args.mode}.json")
    stdout_path = os.path.join(args.workdir, f"stdout_{args.mode}.txt")
    cmd = [sys.executable, os.path.join(HERE, "capture_child.py"), args.mode,
           str(args.lines), store, timing]
    start = clock()
    with open(stdout_path, "w") as out:
        proc = subprocess.run(cmd, cwd=args.workdir, stdout=out, stderr=subprocess.PIPE,
                              text=True, timeout=600)
    process_seconds = clock() - start
    if proc.returncode != 0:
        raise RuntimeError(f"capture child failed ({proc.returncode}):\n{proc.stderr}")
    with open(timing) as f:
        result.metric("run", json.load(f)["run_seconds"], "s")
    result.metric("process", process_seconds, "s")
    found = count_lines(os.path.join(only_run_dir(store), "cout.txt"), args.lines)
    shown = count_lines(stdout_path, args.lines)
    result.check("lines in cout.txt", found == args.lines,
                 f"{found}/{args.lines} in cout.txt, {shown}/{args.lines} on stdout",
                 lost=args.lines - found)
    result.write(args.out)


if __name__ == "__main__":
    main()
