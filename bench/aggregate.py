"""Turn raw per-repetition results into medians, pairwise ratios and check summaries."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass
class MetricSeries:
    """Samples of one metric for both packages, index = repetition."""

    unit: str
    better: str
    samples: dict[str, list[float | None]] = field(default_factory=dict)

    def median(self, label: str) -> float | None:
        """Median of the package's successful samples, None when there are none."""
        values = [v for v in self.samples.get(label, []) if v is not None]
        return statistics.median(values) if values else None

    def ratio(self, ours: str = "ours", peer: str = "peer") -> float | None:
        """Median of the pairwise ratios ours/peer over repetitions where both succeeded."""
        pairs = zip(self.samples.get(ours, []), self.samples.get(peer, []), strict=False)
        ratios = [a / b for a, b in pairs if a is not None and b not in (None, 0)]
        return statistics.median(ratios) if ratios else None


@dataclass
class CheckSummary:
    """A completeness check over all repetitions of one package."""

    passed: int = 0
    total: int = 0
    lost_max: int = 0
    detail: str = ""

    @property
    def ok(self) -> bool:
        """True when every repetition passed."""
        return self.total > 0 and self.passed == self.total

    def text(self) -> str:
        """Short human form: ``ok`` or what went wrong."""
        if self.total == 0:
            return "not run"
        if self.ok:
            return f"ok ({self.detail})"
        return f"FAILED {self.total - self.passed}/{self.total}: {self.detail}"


@dataclass
class EntryResults:
    """Everything measured for one entry."""

    metrics: dict[str, MetricSeries] = field(default_factory=dict)
    checks: dict[str, dict[str, CheckSummary]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    def add(self, label: str, rep: int, outcome: dict) -> None:
        """Record one invocation's outcome (a scenario result or ``{"error": text}``)."""
        if "error" in outcome:
            self.errors.setdefault(label, []).append(outcome["error"])
            for series in self.metrics.values():
                _put(series.samples.setdefault(label, []), rep, None)
            return
        for name, metric in outcome["metrics"].items():
            series = self.metrics.setdefault(name, MetricSeries(metric["unit"], metric["better"]))
            _put(series.samples.setdefault(label, []), rep, metric["value"])
        for name, check in outcome["checks"].items():
            summary = self.checks.setdefault(name, {}).setdefault(label, CheckSummary())
            summary.total += 1
            summary.passed += check["ok"]
            summary.lost_max = max(summary.lost_max, check["lost"])
            if not check["ok"] or not summary.detail or summary.ok:
                summary.detail = check["detail"]

    def lost(self, label: str) -> int:
        """Most items any check of this package found missing in one repetition."""
        return max((c[label].lost_max for c in self.checks.values() if label in c), default=0)

    def complete(self, label: str) -> bool:
        """True when the package ran without error and every check passed every time."""
        checks = [c[label] for c in self.checks.values() if label in c]
        return not self.errors.get(label) and bool(checks) and all(c.ok for c in checks)

    def to_json(self) -> dict:
        """Plain-data form for the results file."""
        return {
            "metrics": {
                name: {
                    "unit": s.unit,
                    "better": s.better,
                    "samples": s.samples,
                    "median": {label: s.median(label) for label in s.samples},
                    "ratio_median": s.ratio(),
                }
                for name, s in self.metrics.items()
            },
            "checks": {
                name: {label: {"ok": c.ok, "passed": c.passed, "total": c.total,
                               "lost_max": c.lost_max, "detail": c.detail}
                       for label, c in by_label.items()}
                for name, by_label in self.checks.items()
            },
            "errors": self.errors,
        }


def _put(samples: list[float | None], rep: int, value: float | None) -> None:
    while len(samples) <= rep:
        samples.append(None)
    samples[rep] = value
