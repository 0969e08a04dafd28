"""Benchmark this project against sacred 0.8.7, scenario by scenario.

    python bench/run.py [--quick] [--only NAME ...] [--repeats N]

Builds (or reuses) ``bench/.venvs/ours`` and ``bench/.venvs/peer``, runs every
selected scenario in both, interleaved, prints per metric the median of each
package and the median of the pairwise ratios, the completeness checks, and
whether each target is met, and writes ``bench/results/latest.json``.
Speed never makes this script fail; only a broken harness does (exit 2).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aggregate import EntryResults
from entries import GROUPS, Entry, build_entries, select
from targets import evaluate
from venvs import BENCH_DIR, Package, check_versions, ensure_venv, package_specs

SCENARIOS_DIR = BENCH_DIR / "scenarios"
RESULTS_DIR = BENCH_DIR / "results"
STRIPPED_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONDONTWRITEBYTECODE")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line arguments of the benchmark driver."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smaller sizes and 3 repeats: checks the harness in ~2 minutes")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help=f"run only this scenario group (repeatable or comma-separated): "
                             f"{', '.join(GROUPS)}")
    parser.add_argument("--repeats", type=int, default=None,
                        help="repetitions per package (default 5, quick 3)")
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "latest.json",
                        help="where to write the JSON results")
    args = parser.parse_args(argv)
    args.only = [name.strip() for value in args.only for name in value.split(",") if name.strip()]
    if args.repeats is None:
        args.repeats = 3 if args.quick else 5
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    return args


def scenario_env() -> dict[str, str]:
    """The environment scenarios run in: ours, minus anything that redirects imports."""
    env = {k: v for k, v in os.environ.items() if k not in STRIPPED_ENV}
    env["PYTHONUNBUFFERED"] = "0"
    return env


def run_once(package: Package, entry: Entry, rep: int, scripts: Path, scratch: Path,
             quick: bool) -> dict:
    """Run one scenario invocation; return its result or ``{"error": text}``."""
    workdir = scratch / f"{entry.key}-{package.label}-{rep}"
    store = workdir / "work"
    store.mkdir(parents=True)
    out = workdir / "result.json"
    cmd = [str(package.python), str(scripts / entry.script), *entry.args,
           "--out", str(out), "--workdir", str(store), "--rep", str(rep)]
    if quick:
        cmd.append("--quick")
    stderr_path = workdir / "stderr.log"
    # the previous invocation's files (and their deletion) reach the disk now, not during this
    # one: otherwise its writeback slows whichever package fsyncs next (ours does, 0.8.7 does not)
    if hasattr(os, "sync"):
        os.sync()
    try:
        with open(stderr_path, "w") as stderr:
            proc = subprocess.run(cmd, cwd=store, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=stderr,
                                  env=scenario_env(), timeout=entry.timeout)
        if proc.returncode != 0 or not out.exists():
            tail = stderr_path.read_text(errors="replace").strip().splitlines()[-12:]
            return {"error": f"exit {proc.returncode}: " + "\n".join(tail)}
        return json.loads(out.read_text())
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {entry.timeout:.0f} s"}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_entries(entries: list[Entry], packages: list[Package], repeats: int,
                quick: bool) -> dict[str, EntryResults]:
    """Run every entry ``repeats`` times per package, alternating which package goes first."""
    results: dict[str, EntryResults] = {}
    scratch = Path(tempfile.mkdtemp(prefix="sacred-bench-"))
    try:
        # a copy outside any git repository, so no package spends time on git discovery
        scripts = scratch / "scenarios"
        shutil.copytree(SCENARIOS_DIR, scripts, ignore=shutil.ignore_patterns("__pycache__"))
        for entry in entries:
            started = time.monotonic()
            entry_results = results.setdefault(entry.key, EntryResults())
            for rep in range(repeats):
                order = packages if rep % 2 == 0 else packages[::-1]
                for package in order:
                    entry_results.add(package.label, rep,
                                      run_once(package, entry, rep, scripts, scratch, quick))
            errors = sum(len(v) for v in entry_results.errors.values())
            note = f", {errors} errors" if errors else ""
            print(f"  {entry.key:<22} {time.monotonic() - started:6.1f} s{note}", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    magnitude = abs(value)
    if magnitude >= 1e5:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 1:
        return f"{value:.3g}" if magnitude < 10 else f"{value:.1f}"
    return f"{value:.3g}"


def print_table(results: dict[str, EntryResults]) -> None:
    """Per entry: metric rows (medians, ratio) and the completeness of each package."""
    header = f"{'scenario.metric':<34}{'unit':<9}{'ours':>12}{'peer':>12}{'ours/peer':>11}"
    print("\n" + header + "\n" + "-" * len(header))
    for key, entry in results.items():
        for name, series in entry.metrics.items():
            ratio = series.ratio()
            print(f"{key + '.' + name:<34}{series.unit:<9}{_fmt(series.median('ours')):>12}"
                  f"{_fmt(series.median('peer')):>12}"
                  f"{(_fmt(ratio) + 'x') if ratio is not None else '-':>11}")
        for label in ("ours", "peer"):
            parts = [f"{name}: {by_label[label].text()}"
                     for name, by_label in entry.checks.items() if label in by_label]
            for error in entry.errors.get(label, [])[:1]:
                parts.append(f"ERROR {error.splitlines()[-1][:150] if error else ''}")
            print(f"    complete[{label}] " + ("; ".join(parts) or "-"))


def print_targets(outcomes) -> None:
    """One line per target: status, name, goal, measured value."""
    print("\nTargets (ratios are ours / sacred 0.8.7)")
    for outcome in outcomes:
        print(f"  [{outcome.status():<6}] {outcome.name:<38} {outcome.goal:<42} {outcome.measured}")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = parse_args(argv)
    try:
        entries = select(build_entries(args.quick), args.only)
    except ValueError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    packages = package_specs()
    try:
        for package in packages:
            ensure_venv(package)
        versions = check_versions(packages, Path(tempfile.gettempdir()))
    except (RuntimeError, subprocess.CalledProcessError) as error:
        print(f"bench: cannot prepare the virtualenvs: {error}", file=sys.stderr)
        return 2
    print(f"sacred {versions['ours']} (ours) vs {versions['peer']} (peer), "
          f"{args.repeats} repeats{', quick' if args.quick else ''}, {len(entries)} entries")
    started = time.monotonic()
    results = run_entries(entries, packages, args.repeats, args.quick)
    elapsed = time.monotonic() - started
    outcomes = evaluate(results, entries)
    print_table(results)
    print_targets(outcomes)
    print(f"\n{elapsed:.0f} s in total")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "meta": {
            "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "versions": versions,
            "python": platform.python_version(),
            "machine": platform.platform(),
            "cpus": os.cpu_count(),
            "repeats": args.repeats,
            "quick": args.quick,
            "only": args.only,
            "seconds": round(elapsed, 1),
        },
        "entries": {key: r.to_json() for key, r in results.items()},
        "targets": [o.__dict__ for o in outcomes],
    }, indent=1))
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
