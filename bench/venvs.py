"""Build or reuse the two virtualenvs the benchmark compares.

``ours`` holds this project installed the same way users get it (a regular,
non-editable install built from the working tree) with all extras; ``peer``
holds sacred 0.8.7 plus what its observers need. Both use the interpreter that
runs the benchmark, so the only difference between them is the package under
test. An editable install would add its import hook (a path finder that runs
pathlib/fnmatch/re at every interpreter start) to our side only, so it is not
used; instead ``ours`` is reinstalled whenever the tree's package files change.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
VENVS_DIR = BENCH_DIR / ".venvs"
PROJECT_PACKAGES = ("sacred", "sacred_runner")
PROJECT_FILES = ("pyproject.toml", "README.md")

PEER_REQUIREMENTS = [
    "sacred==0.8.7",
    "tinydb",
    "tinydb-serialization",
    "hashfs",
    "sqlalchemy",
    "numpy",
    "pymongo",  # the tests' side-by-side stores (tests/fixtures/peer.py) write MongoDB with 0.8.7 too
]


@dataclass(frozen=True)
class Package:
    """One side of the comparison: a label and the interpreter that has it installed.

    ``from_tree`` marks the side built from this working tree: its stamp also
    records a digest of the tree's package files, so an edit reinstalls it.
    """

    label: str
    python: Path
    requirements: tuple[str, ...]
    from_tree: bool = False


def _python_of(venv: Path) -> Path:
    return venv / "bin" / "python"


def package_specs() -> list[Package]:
    """The two sides, ours first."""
    return [
        Package("ours", _python_of(VENVS_DIR / "ours"), ("[all]",), from_tree=True),
        Package("peer", _python_of(VENVS_DIR / "peer"), tuple(PEER_REQUIREMENTS)),
    ]


def _tree_files() -> list[Path]:
    files = [PROJECT_DIR / name for name in PROJECT_FILES]
    for package in PROJECT_PACKAGES:
        files += sorted(p for p in (PROJECT_DIR / package).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    return files


def tree_digest() -> str:
    """SHA-256 over the paths and contents of the files a wheel of this tree is built from."""
    digest = hashlib.sha256()
    for path in _tree_files():
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stamp_path(package: Package) -> Path:
    return package.python.parent.parent / ".bench-installed"


def _stamp_text(package: Package) -> str:
    text = "\n".join(package.requirements) + "\n"
    if package.from_tree:
        text += f"tree {tree_digest()}\n"
    return text


def _copy_tree(target: Path) -> Path:
    """Copy what the wheel is built from, so no build/ or egg-info lands in the working tree."""
    for name in PROJECT_FILES:
        shutil.copy2(PROJECT_DIR / name, target / name)
    for package in PROJECT_PACKAGES:
        shutil.copytree(PROJECT_DIR / package, target / package,
                        ignore=shutil.ignore_patterns("__pycache__"))
    return target


def ensure_venv(package: Package, log=print) -> None:
    """Create ``package``'s venv and install its requirements unless already done.

    A stamp file records what was installed (for ``ours`` also the tree
    digest); a changed stamp reinstalls. Failures raise ``RuntimeError`` with
    pip's output.
    """
    venv = package.python.parent.parent
    stamp = _stamp_path(package)
    wanted = _stamp_text(package)
    if package.python.exists() and stamp.exists() and stamp.read_text() == wanted:
        return
    log(f"building {venv} ...")
    if not package.python.exists():
        _run([sys.executable, "-m", "venv", str(venv)])
    pip = [str(package.python), "-m", "pip", "install", "--quiet"]
    if package.from_tree:
        same_requirements = stamp.exists() and stamp.read_text().startswith(
            "\n".join(package.requirements) + "\n")
        with tempfile.TemporaryDirectory(prefix="sacred-bench-src-") as tmp:
            source = _copy_tree(Path(tmp))
            if not same_requirements:  # only the tree changed: the dependencies are there
                _run([*pip, f"{source}{package.requirements[0]}"])
            _run([*pip, "--no-deps", "--force-reinstall", str(source)])
    else:
        _run([*pip, *package.requirements])
    stamp.write_text(wanted)


def _run(cmd: list[str]) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        )


def check_versions(packages: list[Package], workdir: Path) -> dict[str, str]:
    """Import sacred in each venv (from a neutral cwd) and return label -> version.

    Guards against measuring the wrong package: the working tree leaking into
    the peer's ``sys.path`` through the current directory, or ``ours``
    importing anything but its own (non-editable) install of this tree.
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
        location = Path(out[1]).resolve().parent
        venv = package.python.parent.parent.resolve()
        from_tree = location == PROJECT_DIR / "sacred"
        if package.label == "peer" and (out[0] != "0.8.7" or from_tree):
            raise RuntimeError(f"peer venv imports the wrong sacred: {out}")
        if package.label == "ours" and (from_tree or venv not in location.parents):
            raise RuntimeError(f"ours venv does not import its own install of this tree: {out}")
    return versions


if __name__ == "__main__":
    for spec in package_specs():
        ensure_venv(spec)
    print(check_versions(package_specs(), Path("/tmp")))
