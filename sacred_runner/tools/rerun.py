"""``sacred rerun ID [with UPDATES]``: run a stored run again as a new run, and say what differs.

    sacred rerun ID [--store S] [with key=value NAMED_CONFIG ...] [--from-sources | --from-git]
                 [--check] [--dry-run]

The new run gets the original's command, config updates, named configs, seed
and options (plus the given updates), lands in the original's store and
records ``meta_info["rerun_of"] = {"id", "store"}``. Before running, the
differences between then and now are listed: sources (md5), git commit,
package versions, Python.

* ``--from-sources`` runs the source snapshot stored with the run, in a
  temporary folder.
* ``--from-git`` rebuilds the tree in a temporary git worktree: the recorded
  commit plus the recorded patch of uncommitted changes (``meta_info["git_patch"]``).
* ``--check`` compares the new run's result and every metric series with the
  original's and reports the first step where they diverge (exit 1 when they do).
"""

from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sacred_runner.color import add_color_option, paint, paint_status, wants_color
from sacred_runner.errors import UsageError
from sacred_runner.tools.common import (
    ToolParser,
    add_store_option,
    find_run,
    flatten_config,
    format_value,
    open_stores,
    parse_args,
)

SUMMARY = "run a stored run again (same config, seed, options); --check reports where results diverge"

#: options of the original run that are replayed (observer flags, --id, --queue... are not)
REPLAYED_OPTIONS = ("--capture", "--loglevel", "--beat-interval", "--beat_interval", "--enforce_clean", "--force",
                    "--name", "--debug")


def build_parser() -> ToolParser:
    """The ``sacred rerun`` options."""
    parser = ToolParser(prog="sacred rerun", description=__doc__.split("\n\n")[0])
    add_store_option(parser)
    add_color_option(parser)
    parser.add_argument("run_id", metavar="ID", help="the run to run again")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--from-sources", action="store_true", help="run the source snapshot stored with the run "
                                                                   "(in a temporary folder)")
    source.add_argument("--from-git", action="store_true", help="run the recorded git commit plus the recorded "
                                                               "patch of uncommitted changes (temporary worktree)")
    parser.add_argument("--check", action="store_true", help="compare result and every metric series with the "
                                                            "original's; exit 1 at the first divergence")
    parser.add_argument("--dry-run", action="store_true", help="only say what differs and what would run")
    return parser


def split_with(argv: list[str]) -> tuple[list[str], list[str]]:
    """``[... 'with', 'a=1', 'fast']`` -> (options, updates)."""
    if "with" not in argv:
        return argv, []
    index = argv.index("with")
    after = argv[index + 1:]
    flags = [arg for arg in after if arg.startswith("-")]  # options may follow the updates
    return argv[:index] + flags, [arg for arg in after if not arg.startswith("-")]


# --- what differs ----------------------------------------------------------------------------

def _md5(path: str) -> str | None:
    from sacred.dependencies import get_digest

    try:
        return get_digest(path)
    except OSError:
        return None


def source_differences(record: Any, base_dir: str) -> list[str]:
    """One line per source whose content differs from the stored one (or is missing) under ``base_dir``."""
    lines = []
    for source in record.sources():
        current = _md5(os.path.join(base_dir, source.name))
        if current is None:
            lines.append(f"source {source.name}: missing now")
        elif source.md5 and current != source.md5:
            lines.append(f"source {source.name}: changed (md5 {source.md5[:12]} then, {current[:12]} now)")
    return lines


def git_differences(record: Any, mainfile: str) -> list[str]:
    """The recorded commit (and dirty flag) against the repository's state now."""
    from sacred.vcs import GitStateCache

    recorded = [r for r in record.experiment_info.get("repositories") or [] if isinstance(r, dict)]
    if not recorded:
        return []
    _url, commit, dirty = GitStateCache().lookup(mainfile) if os.path.exists(mainfile) else (None, None, None)
    lines = []
    then = recorded[0]
    if commit != then.get("commit"):
        lines.append(f"git commit: {then.get('commit')}{' (dirty)' if then.get('dirty') else ''} then, "
                     f"{commit or 'no repository'}{' (dirty)' if dirty else ''} now")
    elif bool(dirty) != bool(then.get("dirty")):
        lines.append(f"git: same commit, {'dirty' if then.get('dirty') else 'clean'} then, "
                     f"{'dirty' if dirty else 'clean'} now")
    return lines


def package_differences(record: Any) -> list[str]:
    """Packages whose installed version differs from the recorded one; the Python version."""
    from importlib import metadata

    lines = []
    for dependency in record.experiment_info.get("dependencies") or []:
        name, _, version = str(dependency).partition("==")
        try:
            now = metadata.version(name)
        except metadata.PackageNotFoundError:
            now = None
        if version and now != version:
            lines.append(f"package {name}: {version} then, {now or 'not installed'} now")
    then_python = (record.host or {}).get("python_version")
    if then_python and then_python != platform.python_version():
        lines.append(f"python: {then_python} then, {platform.python_version()} now")
    return lines


# --- where the code comes from ---------------------------------------------------------------

@contextlib.contextmanager
def stored_sources_tree(record: Any) -> Iterator[str]:
    """A temporary base_dir holding the run's stored sources at their relative paths."""
    with tempfile.TemporaryDirectory(prefix="sacred-rerun-") as folder:
        written = 0
        for source in record.sources():
            parts = [p for p in source.name.replace("\\", "/").split("/") if p not in ("", ".")]
            if not parts or ".." in parts or os.path.isabs(source.name):
                continue  # a source outside the experiment's folder has no place in the tree
            target = Path(folder, *parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read())
            written += 1
        if not written:
            raise UsageError(f"run {record.id} has no stored sources to run (--from-sources)")
        yield folder


def _git(root: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", root, *args], capture_output=True, text=True, timeout=120, check=False)


@contextlib.contextmanager
def git_tree(record: Any, mainfile: str) -> Iterator[str]:
    """A temporary worktree at the recorded commit with the recorded patch applied; yields base_dir in it."""
    from sacred.vcs import _find_repository_root

    meta_patch = (record.meta or {}).get("git_patch") or {}
    recorded = [r for r in record.experiment_info.get("repositories") or [] if isinstance(r, dict)]
    commit = meta_patch.get("commit") or (recorded[0].get("commit") if recorded else None)
    if not commit:
        raise UsageError(f"run {record.id} recorded no git commit (--from-git needs one)")
    root = meta_patch.get("root") or _find_repository_root(os.path.dirname(mainfile))
    if not root or not os.path.isdir(root):
        raise UsageError(f"the repository of run {record.id} is not here ({root or 'unknown'}); --from-git "
                         "needs it (or use --from-sources)")
    if meta_patch.get("truncated"):
        raise UsageError(f"run {record.id}'s uncommitted changes ({meta_patch.get('bytes')} bytes) exceeded "
                         "SETTINGS.GIT_PATCH.MAX_BYTES and were not recorded; --from-sources runs the stored "
                         "sources instead")
    if recorded and recorded[0].get("dirty") and not meta_patch.get("patch"):
        raise UsageError(f"run {record.id} had uncommitted changes but no patch was recorded "
                         "(SETTINGS.GIT_PATCH.RECORD off, or an older sacred); try --from-sources")
    relative = os.path.relpath(os.path.dirname(mainfile), root)
    with tempfile.TemporaryDirectory(prefix="sacred-rerun-git-") as holder:
        tree = os.path.join(holder, "tree")
        added = _git(root, "worktree", "add", "--detach", tree, commit)
        if added.returncode != 0:
            raise UsageError(f"cannot check out commit {commit} of {root}: {added.stderr.strip()}")
        try:
            if meta_patch.get("patch"):
                patch_file = os.path.join(holder, "changes.patch")
                Path(patch_file).write_text(meta_patch["patch"], encoding="utf-8")
                applied = _git(tree, "apply", "--binary", patch_file)
                if applied.returncode != 0:
                    raise UsageError(f"the recorded patch does not apply to {commit}: {applied.stderr.strip()}")
            yield os.path.normpath(os.path.join(tree, relative))
        finally:
            _git(root, "worktree", "remove", "--force", tree)
            _git(root, "worktree", "prune")


# --- the run ----------------------------------------------------------------------------------

def build_spec(record: Any, store: Any, updates: list[str], base_dir: str) -> dict:
    """What the driver runs: the original's command, updates, named configs, seed and options (+ updates)."""
    from sacred.commandline.errors import CommandLineError
    from sacred.commandline.values import split_updates
    from sacred.utils import set_by_dotted_path

    meta = record.meta or {}
    info = record.experiment_info or {}
    if "config_updates" in meta:
        config_updates = copy.deepcopy(meta.get("config_updates") or {})
        named_configs = list(meta.get("named_configs") or [])
    else:  # stores without meta info (sacred 0.8.7's SQL): the whole stored config
        config_updates = copy.deepcopy(record.config)
        named_configs = []
    if "seed" in record.config:
        config_updates["seed"] = record.config["seed"]
    try:
        extra, extra_named = split_updates(updates)
    except CommandLineError as error:
        raise UsageError(str(error)) from None
    for key, value in flatten_config(extra).items():
        set_by_dotted_path(config_updates, key, value)
    options = {key: value for key, value in (meta.get("options") or {}).items()
               if key in REPLAYED_OPTIONS and value not in (None, False)}
    kind, target = store.observer_target()
    return {
        "mainfile": os.path.join(base_dir, info["mainfile"]),
        "cwd": base_dir,
        "experiment": record.experiment,
        "command": record.command or meta.get("command") or "main",
        "config_updates": config_updates,
        "named_configs": named_configs + extra_named,
        "options": options,
        "meta_info": {"rerun_of": {"id": record.id, "store": store.description}},
        "observer": [kind, target],
        "module": meta.get("main_module") or _runner_module_name(os.path.join(base_dir, info["mainfile"])),
    }


def _runner_module_name(mainfile: str) -> str:
    """The module name ``sacred run`` imports ``mainfile`` as (runs recorded before ``main_module``)."""
    from sacred_runner.importer import module_name_for

    return module_name_for(Path(mainfile))[1]


def run_driver(spec: dict) -> dict:
    """Run the spec in a child Python (output goes to the terminal); return its outcome."""
    with tempfile.TemporaryDirectory(prefix="sacred-rerun-spec-") as folder:
        spec_path, result_path = os.path.join(folder, "spec.json"), os.path.join(folder, "result.json")
        fd = os.open(spec_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(spec, f, default=str)
        done = subprocess.run([sys.executable, "-m", "sacred_runner.tools.rerun_driver", spec_path, result_path],
                              check=False)
        if not os.path.exists(result_path):
            raise UsageError(f"could not rerun {spec['mainfile']} (exit code {done.returncode}; see above)")
        with open(result_path, encoding="utf-8") as f:
            outcome = json.load(f)
        if "usage_error" in outcome:  # the updates do not fit the experiment; no run was made
            raise UsageError(f"cannot rerun: {spec['experiment']} ({os.path.basename(spec['mainfile'])}) "
                             f"{outcome['usage_error']}")
        return outcome


# --- --check ----------------------------------------------------------------------------------

def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return json.dumps(a, sort_keys=True, default=str) == json.dumps(b, sort_keys=True, default=str)


def divergences(original: Any, new: Any) -> list[str]:
    """Where the new run differs from the original: result, and each metric's first diverging step."""
    problems = []
    if not _same(original.result, new.result):
        problems.append(f"result: {format_value(original.result, 60)} then, {format_value(new.result, 60)} now")
    names = sorted(set(original.metric_names()) | set(new.metric_names()))
    for name in names:
        if name not in new.metric_names():
            problems.append(f"metric {name}: not logged by the new run")
            continue
        if name not in original.metric_names():
            problems.append(f"metric {name}: logged only by the new run")
            continue
        then, now = original.metric(name), new.metric(name)
        for index, (step_a, value_a, step_b, value_b) in enumerate(
                zip(then.steps, then.values, now.steps, now.values, strict=False)):
            if step_a != step_b or not _same(value_a, value_b):
                problems.append(f"metric {name}: diverges at step {step_a} (point {index}): "
                                f"{format_value(value_a)} then, {format_value(value_b)} now")
                break
        else:
            if len(then.values) != len(now.values):
                shorter = min(len(then.values), len(now.values))
                problems.append(f"metric {name}: {len(then.values)} points then, {len(now.values)} now "
                                f"(identical for the first {shorter})")
    return problems


def main(argv: list[str], stdout: TextIO) -> int:
    """Run ``sacred rerun``."""
    own, updates = split_with(list(argv))
    args = parse_args(build_parser(), own, stdout)
    if args is None:
        return 0
    stores = open_stores(args)
    try:
        store, record = find_run(stores, args.run_id)
        info = record.experiment_info or {}
        if record.broken or not info.get("mainfile"):
            raise UsageError(f"run {record.id} cannot be rerun: its record does not say which file to run"
                             + (f" ({record.broken})" if record.broken else ""))
        base_dir = info.get("base_dir") or os.getcwd()
        original_main = os.path.join(base_dir, info["mainfile"])
        if args.from_sources:
            tree = stored_sources_tree(record)
        elif args.from_git:
            tree = git_tree(record, original_main)
        else:
            if not os.path.exists(original_main):
                raise UsageError(f"{original_main} does not exist any more; --from-sources runs the sources "
                                 "stored with the run, --from-git the recorded commit")
            tree = contextlib.nullcontext(base_dir)
        with tree as run_base:
            differences = (source_differences(record, run_base) + git_differences(record, original_main)
                           + package_differences(record))
            where = {True: "the stored sources", False: "the recorded commit + patch"}.get(
                args.from_sources if (args.from_sources or args.from_git) else None, "the current files")
            print(f"Rerunning run {record.id} ({record.experiment}) of {store.description} from {where}", file=stdout)
            if differences:
                print("What differs from the original run:", file=stdout)
                for line in differences:
                    print(f"  {line}", file=stdout)
            else:
                print("Nothing differs from the original run (sources, git commit, packages, python).", file=stdout)
            spec = build_spec(record, store, updates, run_base)
            if args.dry_run:
                shown = {k: spec[k] for k in ("mainfile", "command", "config_updates", "named_configs", "options")}
                print(json.dumps(shown, indent=1, default=str), file=stdout)
                return 0
            stdout.flush()
            outcome = run_driver(spec)
        return _report(store, record, outcome, args.check, stdout, wants_color(args.color, stdout))
    finally:
        for store in stores:
            store.close()


def _report(store: Any, record: Any, outcome: dict, check: bool, stdout: TextIO, color: bool = False) -> int:
    new_id = outcome.get("id")
    print(f"New run {new_id}: {paint_status(str(outcome.get('status')), outcome.get('status'), color)}"
          + (f" ({outcome['error']})" if outcome.get("error") else ""), file=stdout)
    if new_id is None:
        return 1
    new = store.get(new_id)
    then, now = flatten_config(record.config), flatten_config(new.config)
    changed = sorted(k for k in set(then) | set(now) if not _same(then.get(k), now.get(k)))
    if changed:
        print("Config differs from the original:", file=stdout)
        for key in changed:
            print(f"  {key}: {format_value(then.get(key))} then, {format_value(now.get(key))} now", file=stdout)
    if not check:
        return 0 if outcome.get("status") == "COMPLETED" else 1
    problems = divergences(record, new)
    if problems:
        print(f"{paint('NOT REPRODUCED', 'red', color)}: run {new_id} diverges from run {record.id}:", file=stdout)
        for line in problems:
            print(f"  {line}", file=stdout)
        return 1
    count = len(record.metric_names())
    print(f"{paint('Reproduced', 'green', color)}: run {new_id} has the same result and {count} identical metric series as run {record.id}.",
          file=stdout)
    return 0
