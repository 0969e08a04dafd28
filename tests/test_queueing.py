"""The queue record a queued run carries (``meta_info["queue"]``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from hypothesis import given
from hypothesis import strategies as st

from sacred.queueing import (
    NOT_REPLAYED_OPTIONS,
    QUEUE_FORMAT,
    claim_token,
    find_rootdir,
    replayed_options,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXPERIMENT = """\
from sacred import Experiment
ex = Experiment("queued")

@ex.config
def cfg():
    a = 1

@ex.named_config
def big():
    a = 100

@ex.automain
def main(a):
    return a
"""


def test_python_exp_q_stores_everything_a_worker_needs(tmp_path):
    # the spec: "-q / --queue: Only queue this run, do not start it."
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "sacred.ini").write_text("[sacred]\n")
    (project / "sub" / "exp.py").write_text(textwrap.dedent(EXPERIMENT))
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    subprocess.run([sys.executable, "sub/exp.py", "-q", "-P", "4", "-b", "0.5", "-F", str(tmp_path / "runs"),
                    "with", "a=2", "big"], cwd=project, env=env, check=True, capture_output=True, timeout=120)
    run = json.loads((tmp_path / "runs" / "1" / "run.json").read_text())
    assert run["status"] == "QUEUED"
    record = run["meta"]["queue"]
    assert record["format"] == QUEUE_FORMAT
    assert record["file"] == "sub/exp.py"  # relative to the rootdir (where sacred.ini is)
    assert record["rootdir"] == str(project)
    assert record["mainfile"] == "exp.py"
    assert record["experiment"] == "queued"
    assert record["command"] == "main"
    # the seed drawn for the queued run is the seed the worker must use
    assert record["config_updates"] == {"a": 2, "seed": run_config(tmp_path / "runs" / "1")["seed"]}
    assert record["named_configs"] == ["big"]
    assert record["priority"] == 4
    assert record["options"] == {"--beat_interval": "0.5", "--priority": "4"}
    [[name, md5]] = record["sources"]
    assert name == "exp.py" and md5 == record["mainfile_md5"]
    assert (tmp_path / "runs" / "1" / "exp.py").read_text() == textwrap.dedent(EXPERIMENT)


def run_config(run_dir) -> dict:
    """The ``config.json`` of a FileStorage run folder."""
    return json.loads((run_dir / "config.json").read_text())


def test_a_seed_the_user_gave_is_kept_as_given(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (project / "exp.py").write_text(textwrap.dedent(EXPERIMENT))
    env = dict(os.environ, PYTHONPATH=REPO_ROOT)
    cases = [(["seed=5"], {"seed": 5}), (["a=3", "seed=7"], {"a": 3, "seed": 7})]
    for number, (updates, expected) in enumerate(cases, start=1):
        subprocess.run([sys.executable, "exp.py", "-q", "-F", str(tmp_path / "runs"), "with", *updates],
                       cwd=project, env=env, check=True, capture_output=True, timeout=120)
        record = json.loads((tmp_path / "runs" / str(number) / "run.json").read_text())["meta"]["queue"]
        assert record["config_updates"] == expected
        assert run_config(tmp_path / "runs" / str(number))["seed"] == expected["seed"]


def test_find_rootdir_prefers_the_config_file_then_the_working_directory(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert find_rootdir(str(tmp_path / "a" / "b" / "exp.py")) == str(tmp_path)
    (tmp_path / "a" / "pyproject.toml").write_text("[tool.sacred]\n")
    assert find_rootdir(str(tmp_path / "a" / "b" / "exp.py")) == str(tmp_path / "a")
    elsewhere = tmp_path.parent
    monkeypatch.chdir(tmp_path / "a" / "b")
    assert find_rootdir(str(elsewhere / "x.py")) == str(elsewhere)


option_names = st.sampled_from(["--queue", "--id", "-queue", "beat_interval", "--beat-interval", "--unobserved",
                                "--file_storage", "--file-storage", "--comment", "--own_flag", "--sql", "UPDATE",
                                "with", "COMMAND"])


@given(st.dictionaries(option_names, st.one_of(st.none(), st.booleans(), st.text(max_size=5), st.integers())))
def test_replayed_options_are_canonical_and_never_requeue_or_reuse_the_id(options):
    kept = replayed_options(options)
    assert not set(kept) & NOT_REPLAYED_OPTIONS
    assert all(key.startswith("--") and "-" not in key[2:] for key in kept)
    assert all(value is not None and value is not False for value in kept.values())
    assert set(kept) <= {"--" + k.lstrip("-").replace("-", "_") for k in options if k.startswith("-")}


@given(st.recursive(st.one_of(st.none(), st.text(max_size=4), st.integers()),
                    lambda inner: st.dictionaries(st.sampled_from(["queue", "claim", "token", "x"]), inner,
                                                  max_size=3), max_leaves=10))
def test_claim_token_never_raises_and_only_returns_a_non_empty_string(meta):
    token = claim_token(meta)
    assert token is None or (isinstance(token, str) and token)


def test_claim_token_reads_the_workers_claim():
    assert claim_token({"queue": {"claim": {"token": "abc"}}}) == "abc"
    assert claim_token({"queue": {"claim": {"token": ""}}}) is None
    assert claim_token({"queue": {}}) is None
