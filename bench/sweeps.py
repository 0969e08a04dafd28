"""Sweep launchers side by side: sequential, ``-n 2``, Dask (2 workers), Hydra 1.3 multirun + joblib.

    .venv/bin/python bench/sweeps.py              # 200-point grids, 1 repeat
    .venv/bin/python bench/sweeps.py --repeats 3  # medians of 3
    .venv/bin/python bench/sweeps.py --points 50  # a quick look
    .venv/bin/python bench/sweeps.py --quick      # 20 points, sequential and -n 2 only (no Dask, no Hydra)

Run it with an interpreter that has this project installed with the
``dask`` extra (the worktree's ``.venv``). Hydra runs from its own
virtualenv ``bench/.venvs/hydra`` (``hydra-core`` 1.3 and
``hydra-joblib-launcher``; built on first use, never a project dependency).

Two workloads over the same grid ``x = 0 .. N-1``: a trivial experiment
(returns ``x``) and a CPU-bound one (0.1 s of CPU time per point). Every
invocation starts in a fresh scratch folder outside the repository; after
it, the completed points are counted (runs COMPLETED in the store, or
Hydra jobs' result files), so a lost run shows. Per-point time is
``(T(N points) - T(1 point)) / (N - 1)`` on the trivial grid: it includes
each run's own work (config, capture, the FileStorage writes), which the
sequential runner pays too. What a launcher *adds* per point is its
per-point time minus the sequential one.

Targets (issue 14): ``-n 2`` <= 0.55x sequential on the CPU-bound grid and
no slower than Hydra+joblib; what ``-n`` adds per point <= 5 ms; ``-n 2``'s
per-point time <= 1/3 of Hydra+joblib's; zero runs lost everywhere. Like the rest of
``bench/``, this never fails for speed: it prints MET / MISSED and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from venvs import VENVS_DIR, Package, _python_of, ensure_venv  # noqa: E402

HYDRA = Package("hydra", _python_of(VENVS_DIR / "hydra"), ("hydra-core>=1.3,<1.4", "hydra-joblib-launcher>=1.2"))

WORK = {
    "trivial": "    return x\n",
    "cpu": "    start = time.process_time()\n    while time.process_time() - start < 0.1:\n        pass\n    return x\n",
}

SACRED_EXPERIMENT = """\
import time
from sacred import Experiment
ex = Experiment("bench_{name}")
@ex.config
def cfg():
    x = 0
@ex.automain
def main(x):
{body}"""

HYDRA_APP = """\
import pathlib, time
import hydra
from omegaconf import DictConfig

def work(x):
{body}
@hydra.main(version_base=None, config_path=".", config_name="config")
def main(cfg: DictConfig) -> None:
    value = work(cfg.x)
    pathlib.Path("{results}", "done-%d" % cfg.x).write_text(str(value))

if __name__ == "__main__":
    main()
"""


def _scratch() -> Path:
    return Path(tempfile.mkdtemp(prefix="sacred-sweep-bench-"))


def _timed(command: list[str], cwd: Path, env: dict | None = None, timeout: float = 1800) -> float:
    start = time.perf_counter()
    proc = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        print(f"  ! {' '.join(command[:6])}... exited {proc.returncode}: {proc.stderr[-400:]}", file=sys.stderr)
    return elapsed


def _completed_runs(store: Path) -> int:
    count = 0
    for run_json in store.glob("[0-9]*/run.json"):
        try:
            if json.loads(run_json.read_text())["status"] == "COMPLETED":
                count += 1
        except (OSError, ValueError, KeyError):
            continue
    return count


def run_sacred(python: str, workload: str, points: int, mode: list[str]) -> tuple[float, int]:
    """Wall time and completed runs of ``sacred run -M`` over ``points`` points with ``mode`` flags."""
    folder = _scratch()
    try:
        (folder / f"exp_{workload}.py").write_text(SACRED_EXPERIMENT.format(name=workload, body=WORK[workload]))
        env = {k: v for k, v in os.environ.items() if k != "SACRED_ADDOPTS"}
        env["PYTHONPATH"] = str(PROJECT_DIR)
        command = [python, "-m", "sacred_runner", "run", f"exp_{workload}.py", "-M", "-q", "--color=no",
                   *mode, "with", f"x=range(0,{points})"]
        elapsed = _timed(command, folder, env)
        return elapsed, _completed_runs(folder / ".sacred" / "runs")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_hydra(workload: str, points: int) -> tuple[float, int]:
    """Wall time and finished jobs of Hydra's multirun with the joblib launcher (n_jobs=2)."""
    folder = _scratch()
    try:
        results = folder / "results"
        results.mkdir()
        (folder / "config.yaml").write_text("x: 0\n")
        (folder / "app.py").write_text(HYDRA_APP.format(body=WORK[workload], results=results))
        command = [str(HYDRA.python), "app.py", "-m", f"x=range(0,{points})", "hydra/launcher=joblib",
                   "hydra.launcher.n_jobs=2", f"hydra.sweep.dir={folder / 'multirun'}"]
        elapsed = _timed(command, folder)
        return elapsed, len(list(results.glob("done-*")))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


MODES = {
    "sequential": [],
    "-n 2": ["-n", "2"],
    "dask (2 workers)": ["--launcher", "dask", "-n", "2"],
}


HYDRA_LABEL = "hydra+joblib (n_jobs=2)"
QUICK_MODES = ("sequential", "-n 2")


def measure(python: str, points: int, repeats: int, modes: tuple[str, ...] = tuple(MODES),
            hydra: bool = True) -> dict:
    """Every (workload, runner) at ``points`` and at 1 point (for the overhead), ``repeats`` times, interleaved."""
    samples: dict[str, list[float]] = {}
    lost: dict[str, int] = {}
    for repeat in range(repeats):
        for workload in ("trivial", "cpu"):
            for size in ((points, 1) if workload == "trivial" else (points,)):
                for label in modes:
                    flags = MODES[label]
                    key = f"{workload}/{label}/{size}"
                    elapsed, done = run_sacred(python, workload, size, flags)
                    samples.setdefault(key, []).append(elapsed)
                    lost[key] = lost.get(key, 0) + (size - done)
                    print(f"  [{repeat + 1}/{repeats}] {key}: {elapsed:.2f}s, {done}/{size} completed", flush=True)
                if not hydra:
                    continue
                key = f"{workload}/{HYDRA_LABEL}/{size}"
                elapsed, done = run_hydra(workload, size)
                samples.setdefault(key, []).append(elapsed)
                lost[key] = lost.get(key, 0) + (size - done)
                print(f"  [{repeat + 1}/{repeats}] {key}: {elapsed:.2f}s, {done}/{size} completed", flush=True)
    return {"median": {k: statistics.median(v) for k, v in samples.items()}, "samples": samples, "lost": lost}


def per_point_ms(median: dict, runner: str, points: int) -> float:
    """``(T(N) - T(1)) / (N - 1)`` of ``runner`` on the trivial grid, in ms (the run's own work included)."""
    big, one = median[f"trivial/{runner}/{points}"], median[f"trivial/{runner}/1"]
    return (big - one) / max(1, points - 1) * 1000


def report(data: dict, points: int) -> list[str]:
    """The table and the target lines (for the runners that were measured)."""
    median = data["median"]
    runners = [r for r in [*MODES, HYDRA_LABEL] if f"trivial/{r}/{points}" in median]
    lines = [f"{'runner':<26}{'trivial ' + str(points):>14}{'trivial 1':>12}{'per point':>12}"
             f"{'adds/pt':>11}{'cpu ' + str(points):>12}"]
    per_point = {runner: per_point_ms(median, runner, points) for runner in runners}
    sequential = per_point["sequential"]
    added = {runner: value - sequential for runner, value in per_point.items()}  # what the launcher adds
    for runner in runners:
        big, one = median[f"trivial/{runner}/{points}"], median[f"trivial/{runner}/1"]
        lines.append(f"{runner:<26}{big:>13.2f}s{one:>11.2f}s{per_point[runner]:>9.1f} ms{added[runner]:>8.1f} ms"
                     f"{median[f'cpu/{runner}/{points}']:>11.2f}s")
    seq_cpu, n2_cpu = median[f"cpu/sequential/{points}"], median[f"cpu/-n 2/{points}"]
    lost_total = {k: v for k, v in data["lost"].items() if v}
    targets = [
        ("-n 2 wall time <= 0.55x sequential (cpu grid)", n2_cpu / seq_cpu, n2_cpu / seq_cpu <= 0.55),
        ("what -n adds per point (its per-point time minus sequential's) <= 5 ms", added["-n 2"],
         added["-n 2"] <= 5.0),
    ]
    if HYDRA_LABEL in per_point:
        hydra_cpu = median[f"cpu/{HYDRA_LABEL}/{points}"]
        hydra_per_point = per_point[HYDRA_LABEL]
        targets[1:1] = [("-n 2 no slower than hydra+joblib (cpu grid)", n2_cpu / hydra_cpu, n2_cpu <= hydra_cpu)]
        targets.append(("-n 2 per-point time <= 1/3 of hydra+joblib's",
                        per_point["-n 2"] / hydra_per_point if hydra_per_point > 0 else float("inf"),
                        hydra_per_point > 0 and per_point["-n 2"] <= hydra_per_point / 3))
    targets.append(("zero runs lost in every scenario", sum(lost_total.values()), not lost_total))
    lines.append("")
    for text, value, met in targets:
        lines.append(f"{'MET   ' if met else 'MISSED'} {text}: {value:.3g}")
    if lost_total:
        lines.append(f"lost: {lost_total}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Build Hydra's venv if needed, measure, print, write ``bench/results/sweeps.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--python", default=sys.executable, help="interpreter with this project (+ dask) installed")
    parser.add_argument("--quick", action="store_true",
                        help="20 points (unless --points), sequential and -n 2 only: a check, not the figures")
    args = parser.parse_args(argv)
    if args.points < 2:
        parser.error("--points must be at least 2 (the per-point time compares N points with 1)")
    if args.quick:
        points = args.points if "--points" in (argv if argv is not None else sys.argv[1:]) else 20
        data = measure(args.python, points, args.repeats, QUICK_MODES, hydra=False)
        print("\n".join(report(data, points)))
        return 0
    try:
        ensure_venv(HYDRA)
    except RuntimeError as error:
        print(f"cannot build the Hydra virtualenv: {error}", file=sys.stderr)
        return 2
    data = measure(args.python, args.points, args.repeats)
    lines = report(data, args.points)
    print("\n".join(lines))
    out = BENCH_DIR / "results" / "sweeps.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"points": args.points, "repeats": args.repeats, **data, "report": lines}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
