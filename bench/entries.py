"""The scenario invocations the benchmark makes, for a full or a quick run.

An entry is one scenario script with fixed arguments. Groups are what
``--only`` selects; an entry shared by two groups (the 200k-point metrics run
is both scenario 3 and a point of the scaling curve) runs once.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUPS = ("cold_start", "per_run", "metrics", "capture", "config", "heartbeat",
          "many_runs", "scaling", "masking")


@dataclass(frozen=True)
class Entry:
    """One scenario invocation: ``key`` names it in tables and the JSON file."""

    key: str
    script: str
    args: tuple[str, ...]
    groups: tuple[str, ...]
    timeout: float = 600.0
    size: int | None = None


def build_entries(quick: bool) -> list[Entry]:
    """All entries, in the order they run."""
    scale = 4 if quick else 1
    main_points = 200_000 // scale
    points = [50_000 // scale, 100_000 // scale, main_points, 400_000 // scale]
    main_steps = 10 if quick else 30
    steps = [main_steps // 3, 2 * main_steps // 3, main_steps]
    lines = 100_000 // (10 if quick else 1)
    entries = [
        Entry("cold_start", "cold_start.py", (), ("cold_start",)),
        Entry("per_run", "per_run.py", (), ("per_run",)),
    ]
    for n in points:
        groups = ("metrics", "scaling") if n == main_points else ("scaling",)
        key = "metrics" if n == main_points else f"metrics_{n // 1000}k"
        entries.append(Entry(key, "metrics.py", ("--points", str(n)), groups, size=n))
    for mode in ("fd", "sys"):
        entries.append(Entry(f"capture_{mode}", "capture.py",
                             ("--mode", mode, "--lines", str(lines)), ("capture",)))
    entries.append(Entry("config", "config.py", ("--entries", "2000"), ("config",)))
    for n in steps:
        groups = ("heartbeat", "scaling") if n == main_steps else ("scaling",)
        key = "heartbeat" if n == main_steps else f"heartbeat_{n}steps"
        entries.append(Entry(key, "heartbeat.py", ("--steps", str(n)), groups, size=n))
    runs = {"fs": 100 if quick else 500, "tinydb": 20 if quick else 60, "sql": 10 if quick else 20}
    for backend, count in runs.items():
        entries.append(Entry(f"many_{backend}", "many_runs.py",
                             ("--backend", backend, "--runs", str(count)), ("many_runs",),
                             size=count))
    entries.append(Entry("masking", "masking.py", ("--megabytes", "2" if quick else "10"), ("masking",)))
    return entries


def select(entries: list[Entry], only: list[str]) -> list[Entry]:
    """Entries in any of the groups ``only`` names (all when empty); bad names raise."""
    unknown = [name for name in only if name not in GROUPS]
    if unknown:
        raise ValueError(f"unknown scenario {', '.join(unknown)}; choose from {', '.join(GROUPS)}")
    if not only:
        return list(entries)
    return [e for e in entries if set(e.groups) & set(only)]
