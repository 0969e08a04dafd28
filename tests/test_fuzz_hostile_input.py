"""Fuzzing the command lines: every input ends in a run or in one clear error.

Hypothesis draws ``with`` values, run ids, experiment flags and config-file contents
and feeds them to the per-file command line (``run_commandline``) and to ``sacred run``.
Whatever comes in, the outcome is one of

* a run, recorded completely in the store (``run.json`` with a final status), or
* one clear error: the documented exit code, no traceback, and no partial store
  (no run folder without a final status, nothing created for a refused id).

A hang is caught by the test timeout (the inputs are small, so any finite run is fast).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FINAL_STATUSES = {"COMPLETED", "FAILED", "INTERRUPTED", "QUEUED"}

EXPERIMENT = '''
from sacred import Experiment
ex = Experiment("fuzzed")

@ex.config
def cfg():
    x = 1
    nested = {"y": "text"}

@ex.automain
def main(x, nested):
    return [x, nested]
'''

# --- strategies ---------------------------------------------------------------------------

awkward_numbers = st.sampled_from(
    ["inf", "-inf", "nan", "1e10", "1e400", "-1", "0", "1e-400", "0x10", "1_000", "", " ", "2**70", "²"]
)
literal_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
).map(repr)
raw_values = st.text(max_size=30) | st.sampled_from(
    ["{(1,2):3}", "{[1]:2}", "[", "'", '"', "{1,2}", "b'x'", "1j", "{'a': {(1,): 2}}", "x" * 5000,
     "postgresql://u:pa/ss@h/db?password=p", os.fsdecode(b"data_\xff.csv")]
)
update_keys = st.sampled_from(["x", "nested.y", "nested", "x.y", "new_key", "nested.z.w", "seed"])
updates = st.lists(st.tuples(update_keys, literal_values | raw_values).map(lambda kv: f"{kv[0]}={kv[1]}"),
                   max_size=3)
run_ids = st.none() | st.text(max_size=12) | st.sampled_from(
    ["runs.index.jsonl", "_sources", "..", "a/b", "²", ".tmp", "metadata.json", "7", "name-1"]
)
flags = st.lists(
    st.tuples(st.sampled_from(["-b", "-P", "-l", "-C", "--comment", "-n"]), awkward_numbers | st.text(max_size=12)),
    max_size=3,
).map(lambda pairs: [part for pair in pairs for part in pair])
config_files = st.none() | st.tuples(
    st.sampled_from(["cfg.json", "cfg.yaml", "cfg.yml"]),
    st.binary(max_size=60) | st.sampled_from([
        b'{"x": 5}', b"x: 7\n", b"x: &a [1, *a]\n", b"- 1\n- 2\n", b'{"x": NaN}', b"\xff\xfe", b"x: !!python/object:os.system {}\n",
        b"a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        b"d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n"
        b"g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n",
    ]),
)

# --- the store must never be partial ----------------------------------------------------


def assert_store_complete(store: Path) -> int:
    """Every run folder in ``store`` holds a run.json with a final status; returns their number."""
    if not store.exists():
        return 0
    count = 0
    for folder in store.iterdir():
        if not folder.is_dir() or folder.name.startswith(("_", ".")):
            continue
        run = json.loads((folder / "run.json").read_text())
        assert run["status"] in FINAL_STATUSES, (folder, run["status"])
        count += 1
    return count


def assert_one_clear_error(stderr: str) -> None:
    assert "Traceback" not in stderr, stderr
    assert stderr.strip(), "an error must say what went wrong"


# --- the per-file command line --------------------------------------------------------------


def _build_argv(tmp: Path, store: Path, run_id, flag_args, update_args, config_file) -> list[str]:
    argv = ["exp.py", "-F", str(store), *flag_args]
    if run_id is not None:
        argv += ["-i", run_id]
    named = []
    if config_file is not None:
        name, content = config_file
        (tmp / name).write_bytes(content)
        named.append(str(tmp / name))
    if update_args or named:
        argv += ["with", *update_args, *named]
    return argv


@pytest.mark.timeout(600)
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(run_id=run_ids, flag_args=flags, update_args=updates, config_file=config_files)
def test_the_per_file_command_line_ends_in_a_run_or_one_clear_error(
        tmp_path_factory, run_id, flag_args, update_args, config_file):
    from sacred import Experiment

    tmp = tmp_path_factory.mktemp("fuzz")
    store = tmp / "store"
    argv = _build_argv(tmp, store, run_id, flag_args, update_args, config_file)
    source = textwrap.dedent(EXPERIMENT).replace("@ex.automain", "@ex.main")
    (tmp / "exp.py").write_text(source)
    namespace: dict = {"__file__": str(tmp / "exp.py"), "__name__": "fuzzed_exp"}
    exec(compile(source, str(tmp / "exp.py"), "exec"), namespace)
    ex: Experiment = namespace["ex"]
    stderr = io.StringIO()
    code = 0
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        try:
            ex.run_commandline(argv)
        except SystemExit as exit_:
            code = exit_.code
    runs = assert_store_complete(store)
    if code == 0:
        assert runs == 1, stderr.getvalue()
    else:
        assert code == 1, (code, stderr.getvalue())
        assert_one_clear_error(stderr.getvalue())
        assert runs <= 1  # a run that failed is recorded as FAILED, never left half


# --- sacred run -----------------------------------------------------------------------------


@pytest.mark.timeout(600)
@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(run_id=run_ids, flag_args=flags, update_args=updates, config_file=config_files)
def test_sacred_run_ends_in_runs_or_one_clear_error(sacredtester_factory, run_id, flag_args, update_args,
                                                     config_file):
    tester = sacredtester_factory()
    tester.write("exp_fuzzed.py", EXPERIMENT)
    args = ["run", "--color=no", *flag_args]
    if run_id is not None:
        args += ["--id", run_id]
    named = []
    if config_file is not None:
        name, content = config_file
        (tester.path / name).write_bytes(content)
        named.append(name)
    if update_args or named:
        args += ["with", *update_args, *named]
    result = tester.run(*args)
    store = tester.path / ".sacred" / "runs"
    runs = assert_store_complete(store)
    assert result.ret in (0, 1, 4), (result.ret, result.stderr)  # never 3: an internal error
    assert "Traceback" not in result.stderr + result.stdout
    if result.ret == 4:
        assert len([line for line in result.stderr.splitlines() if line.startswith("ERROR:")]) == 1
        assert runs == 0
    elif result.ret == 0:
        assert runs == 1


@pytest.fixture
def sacredtester_factory(tmp_path_factory, monkeypatch, capsys):
    """A fresh SacredTester folder per hypothesis example."""
    from tests.sacred_runner.conftest import SacredTester

    def make() -> SacredTester:
        folder = tmp_path_factory.mktemp("project")
        return SacredTester(folder, monkeypatch, capsys)

    return make
