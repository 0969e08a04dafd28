"""bench/sweeps.py's report: what ``-n`` adds per point is its per-point time minus sequential's."""

from __future__ import annotations


def _data(points, runners, per_point_ms, cpu=10.0):
    median = {}
    for runner in runners:
        median[f"trivial/{runner}/1"] = 0.5
        median[f"trivial/{runner}/{points}"] = 0.5 + per_point_ms[runner] * (points - 1) / 1000
        median[f"cpu/{runner}/{points}"] = cpu
    return {"median": median, "lost": {key: 0 for key in median}}


def test_the_target_uses_what_n_adds_over_sequential_not_the_run_s_own_work():
    from bench.sweeps import report

    data = _data(101, ["sequential", "-n 2"], {"sequential": 40.0, "-n 2": 43.0})
    lines = report(data, 101)
    target = next(line for line in lines if "adds per point" in line)
    assert target.startswith("MET") and target.endswith(": 3"), target  # 43 - 40 ms, not 43 ms
    row = next(line for line in lines if line.startswith("-n 2"))
    assert "43.0 ms" in row and "3.0 ms" in row
    slow = report(_data(101, ["sequential", "-n 2"], {"sequential": 40.0, "-n 2": 46.0}), 101)
    assert any(line.startswith("MISSED") and "adds per point" in line for line in slow)


def test_the_full_report_compares_with_hydra_per_point_times():
    from bench.sweeps import HYDRA_LABEL, MODES, report

    runners = [*MODES, HYDRA_LABEL]
    lines = report(_data(11, runners, {"sequential": 20.0, "-n 2": 21.0, "dask (2 workers)": 30.0,
                                       HYDRA_LABEL: 400.0}), 11)
    assert any("1/3 of hydra+joblib" in line and line.startswith("MET") for line in lines)
    assert any("no slower than hydra" in line for line in lines)
