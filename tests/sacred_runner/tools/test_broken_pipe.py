"""D7: ``sacred show 2 --output | head -1`` and ``python exp.py --help | head -5`` end quietly
(they printed INTERNAL ERROR and a BrokenPipeError traceback)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sacred_runner.tools.trial_runs import run_experiment

REPO = Path(__file__).resolve().parents[3]


def _with_gone_reader(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``args`` with a standard output whose reader has already exited."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # as head does after its first lines
    try:
        return subprocess.run(args, stdout=write_end, stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        os.close(write_end)


def test_show_into_a_closed_pipe_is_quiet(tmp_path) -> None:
    store = tmp_path / "runs"
    run_id = run_experiment(store, lambda run: print("line\n" * 50000))
    done = _with_gone_reader([sys.executable, "-m", "sacred_runner", "show", run_id, "--store", str(store),
                              "--output"], tmp_path)
    assert done.stderr == "" and done.returncode in (0, 141)


def test_experiment_help_into_a_closed_pipe_is_quiet(tmp_path) -> None:
    script = tmp_path / "exp.py"
    script.write_text("from sacred import Experiment\nex = Experiment('piped')\n\n"
                      "@ex.config\ndef cfg():\n    lr = 0.1\n\n@ex.automain\ndef main(lr):\n    pass\n")
    done = _with_gone_reader([sys.executable, str(script), "--help"], tmp_path)
    assert done.stderr == "" and done.returncode in (0, 141)
