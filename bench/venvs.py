"""Build or reuse the two virtualenvs the benchmark compares.

``ours`` holds this project installed editable with all extras; ``peer`` holds
sacred 0.8.7 plus what its observers need. Both use the interpreter that runs
the benchmark, so the only difference between them is the package under test.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENVS_DIR = BENCH_DIR / ".venvs"

PEER_REQUIREMENTS = [
    "sacred==0.8.7",
    "tinydb",
    "tinydb-serialization",
    "hashfs",
    "sqlalchemy",
    "numpy",
]


@dataclass(frozen=True)
class Package:
    """One side of the comparison: a label and the interpreter that has it installed."""

    label: str
    python: Path
    requirements: tuple[str, ...]


def _python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def package_specs() -> list[Package]:
    """The two sides, ours first."""
    return [
        Package("ours", _python_of(VENVS_DIR / "ours"), ("-e", f"{PROJECT_DIR}[all]")),
        Package("peer", _python_of(VENVS_DIR / "peer"), tuple(PEER_REQUIREMENTS)),
    ]


def _stamp_path(package: Package) -> Path:
    return package.python.parent.parent / ".bench-installed"


def _stamp_text(package: Package) -> str:
    return "\n".join(package.requirements) + "\n"


def ensure_venv(package: Package, log=print) -> None:
    """Create ``package``'s venv and install its requirements unless already done.

    A stamp file records what was installed; a changed requirement list
    reinstalls. Failures raise ``RuntimeError`` with pip's output.
    """
    venv = package.python.parent.parent
    stamp = _stamp_path(package)
    if package.python.exists() and stamp.exists() and stamp.read_text() == _stamp_text(package):
        return
    log(f"building {venv} ...")
    if not package.python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(package.python), "-m", "pip", "install", "--quiet", *package.requirements])
    stamp.write_text(_stamp_text(package))


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )


def check_versions(packages: list[Package], workdir: Path) -> dict[str, str]:
    """Import sacred in each venv (from a neutral cwd) and return label -> version.

    Guards against measuring the wrong package, e.g. the working tree leaking
    into the peer's ``sys.path`` through the current directory.
    """
    versions = {}
    for package in packages:
        out = subprocess.run(
            [str(package.python), "-c", "import sacred; print(sacred.__version__, sacred.__file__)"],
            cwd=workdir,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        versions[package.label] = out[0]
        from_tree = Path(out[1]).resolve().parent == PROJECT_DIR / "sacred"
        if package.label == "peer" and (out[0] != "0.8.7" or from_tree):
            raise RuntimeError(f"peer venv imports the wrong sacred: {out}")
        if package.label == "ours" and not from_tree:
            raise RuntimeError(f"ours venv does not import this project: {out}")
    return versions


if __name__ == "__main__":
    for spec in package_specs():
        ensure_venv(spec)
    print(check_versions(package_specs(), Path("/tmp")))
