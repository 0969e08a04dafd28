"""A pytester-like helper for the ``sacred`` command: write files, run in-process or in a subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SUBPROCESS_TIMEOUT = 120


@dataclass
class RunResult:
    """Exit code and output of one ``sacred`` invocation."""

    ret: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        """Stdout split into lines."""
        return self.stdout.splitlines()


class SacredTester:
    """Writes experiment files into a temporary folder and runs ``sacred`` there."""

    def __init__(self, path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
        self.path = path
        self._monkeypatch = monkeypatch
        self._capsys = capsys
        monkeypatch.chdir(path)
        monkeypatch.delenv("SACRED_ADDOPTS", raising=False)

    def write(self, name: str, text: str) -> Path:
        """Write ``text`` (dedented) to ``name`` under the folder; return the path."""
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def experiment(self, name: str, body: str = "", exp_name: str | None = None, result: str = "1") -> Path:
        """Write a minimal experiment file with an automain returning ``result``."""
        exp_name = exp_name or Path(name).stem
        text = f"""\
            from sacred import Experiment
            ex = Experiment({exp_name!r})
            @ex.config
            def cfg():
                a = 1  # the a value
            {textwrap.dedent(body).replace(chr(10), chr(10) + ' ' * 12)}
            @ex.automain
            def main(a):
                return {result}
            """
        return self.write(name, text)

    def run(self, *args: str) -> RunResult:
        """Run ``sacred ARGS`` in this process (stdout into a buffer)."""
        from sacred_runner.main import main

        self._capsys.readouterr()
        buffer = io.StringIO()
        saved_modules = set(sys.modules)
        saved_path = list(sys.path)
        try:
            code = main(list(args), stdout=buffer)
        finally:
            for name in set(sys.modules) - saved_modules:
                module_file = getattr(sys.modules[name], "__file__", "") or ""
                if module_file.startswith(str(self.path)) or name == "sacred_plugins":
                    del sys.modules[name]
            sys.path[:] = saved_path
        captured = self._capsys.readouterr()
        return RunResult(int(code), buffer.getvalue() + captured.out, captured.err)

    def run_subprocess(self, *args: str, env: dict | None = None, timeout: float = SUBPROCESS_TIMEOUT) -> RunResult:
        """Run ``python -m sacred_runner ARGS`` in a fresh process."""
        full_env = dict(os.environ)
        full_env.pop("SACRED_ADDOPTS", None)
        full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), full_env.get("PYTHONPATH")]))
        full_env.update(env or {})
        process = subprocess.run(
            [sys.executable, "-m", "sacred_runner", *args],
            cwd=self.path, env=full_env, capture_output=True, text=True, timeout=timeout,
        )
        return RunResult(process.returncode, process.stdout, process.stderr)


@pytest.fixture
def sacredtester(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> SacredTester:
    """A :class:`SacredTester` in a fresh temporary folder."""
    folder = tmp_path / "project"
    folder.mkdir()
    return SacredTester(folder, monkeypatch, capsys)
