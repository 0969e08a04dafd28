"""Host info: built-in keys and shapes (as sacred 0.8.7), settings, GPUs, custom gatherers."""

from __future__ import annotations

import json
import logging
import os
import platform
import stat
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

import sacred.host_info as host_info
from sacred.host_info import (
    HostInfoGetter,
    IgnoreHostInfo,
    check_additional_host_info,
    get_host_info,
    host_info_gatherer,
    host_info_gatherers,
    host_info_getter,
    parse_cpuinfo_model,
    parse_nvidia_smi_xml,
)
from sacred.settings import SETTINGS

NVIDIA_XML = """<?xml version="1.0" ?>
<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v11.dtd">
<nvidia_smi_log>
    <timestamp>Mon Jan  1 00:00:00 2024</timestamp>
    <driver_version>470.57.02</driver_version>
    <attached_gpus>2</attached_gpus>
    <gpu id="00000000:01:00.0">
        <product_name>NVIDIA GeForce RTX 3090</product_name>
        <persistence_mode>Enabled</persistence_mode>
        <fb_memory_usage><total>24268 MiB</total><used>1 MiB</used></fb_memory_usage>
    </gpu>
    <gpu id="00000000:02:00.0">
        <product_name>Tesla V100</product_name>
        <persistence_mode>Disabled</persistence_mode>
        <fb_memory_usage><total>16160 MiB</total></fb_memory_usage>
    </gpu>
</nvidia_smi_log>
"""

# What sacred 0.8.7 reported for NVIDIA_XML (observed by running it with this fake nvidia-smi).
PEER_GPUS = {
    "gpus": [
        {"model": "NVIDIA GeForce RTX 3090", "total_memory": 24268, "persistence_mode": True},
        {"model": "Tesla V100", "total_memory": 16160, "persistence_mode": False},
    ],
    "driver_version": "470.57.02",
}


@pytest.fixture(autouse=True)
def isolated_host_info(monkeypatch):
    """Fresh cache, default HOST_INFO settings and an empty global gatherer dict per test."""
    saved_settings = dict(SETTINGS.HOST_INFO)
    saved_gatherers = dict(host_info_gatherers)
    host_info_gatherers.clear()
    host_info.clear_host_info_cache()
    SETTINGS.HOST_INFO.update(INCLUDE_GPU_INFO=True, INCLUDE_CPU_INFO=True, CAPTURED_ENV=[])
    yield
    SETTINGS.HOST_INFO.update(saved_settings)
    host_info_gatherers.clear()
    host_info_gatherers.update(saved_gatherers)
    host_info.clear_host_info_cache()


def fake_nvidia_smi(directory, monkeypatch, body: str) -> None:
    """Put an executable ``nvidia-smi`` shell script first on PATH."""
    directory.mkdir(exist_ok=True)
    script = directory / "nvidia-smi"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{directory}{os.pathsep}{os.environ.get('PATH', '')}")


def without_nvidia_smi(monkeypatch, tmp_path) -> None:
    empty = tmp_path / "empty_bin"
    empty.mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(empty))


# ----------------------------------------------------------------------------- built-in keys


def test_builtin_keys_have_the_shapes_sacred_087_reports(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    info = get_host_info()
    assert list(info) == ["hostname", "os", "python_version", "cpu", "ENV"]
    assert info["hostname"] == platform.node()
    assert info["os"] == [platform.system(), platform.platform()]
    assert info["python_version"] == platform.python_version()
    assert isinstance(info["cpu"], str) and info["cpu"]
    assert info["ENV"] == {}
    json.dumps(info)  # JSON-ready


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="needs /proc/cpuinfo")
def test_cpu_is_the_model_name_from_proc_cpuinfo(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    with open("/proc/cpuinfo") as handle:
        expected = parse_cpuinfo_model(handle.read())
    assert expected
    assert get_host_info()["cpu"] == expected


def test_captured_env_holds_only_the_named_variables_that_are_set(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    monkeypatch.setenv("SACRED_TEST_SET", "value 1")
    monkeypatch.setenv("SACRED_TEST_OTHER", "not captured")
    monkeypatch.delenv("SACRED_TEST_UNSET", raising=False)
    SETTINGS.HOST_INFO.CAPTURED_ENV = ["SACRED_TEST_SET", "SACRED_TEST_UNSET"]
    assert get_host_info()["ENV"] == {"SACRED_TEST_SET": "value 1"}
    SETTINGS.HOST_INFO.CAPTURED_ENV.append("SACRED_TEST_OTHER")
    assert get_host_info()["ENV"] == {
        "SACRED_TEST_SET": "value 1",
        "SACRED_TEST_OTHER": "not captured",
    }


def test_disabled_cpu_and_gpu_info_are_none_as_in_sacred_087(monkeypatch, tmp_path):
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, f"cat <<'XML'\n{NVIDIA_XML}XML\n")
    SETTINGS.HOST_INFO.INCLUDE_CPU_INFO = False
    SETTINGS.HOST_INFO.INCLUDE_GPU_INFO = False
    info = get_host_info()
    assert info["cpu"] is None
    assert info["gpus"] is None


def test_values_that_cannot_change_are_computed_once(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    calls = []
    monkeypatch.setattr(host_info.platform, "node", lambda: calls.append("node") or "box")
    monkeypatch.setattr(host_info, "_find_cpu_model", lambda: calls.append("cpu") or "Z80")
    first = get_host_info()
    second = get_host_info()
    assert first["hostname"] == second["hostname"] == "box"
    assert first["cpu"] == second["cpu"] == "Z80"
    assert calls == ["node", "cpu"]
    host_info.clear_host_info_cache()
    get_host_info()
    assert calls == ["node", "cpu", "node", "cpu"]


def test_returned_os_list_is_a_copy_of_the_cache(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    get_host_info()["os"].append("mutated")
    assert len(get_host_info()["os"]) == 2


# ----------------------------------------------------------------------------- CPU model


def test_cpu_falls_back_to_platform_processor_before_py_cpuinfo(monkeypatch):
    monkeypatch.setattr(host_info, "_cpu_from_proc_cpuinfo", lambda: None)
    monkeypatch.setattr(host_info, "_cpu_from_sysctl", lambda: None)
    monkeypatch.setattr(host_info.platform, "processor", lambda: "Fancy CPU 3000")

    def must_not_run():
        raise AssertionError("py-cpuinfo must not be asked when platform.processor answers")

    monkeypatch.setattr(host_info, "_cpu_from_pycpuinfo", must_not_run)
    assert host_info._find_cpu_model() == "Fancy CPU 3000"


def test_cpu_uses_py_cpuinfo_when_nothing_else_answers(monkeypatch):
    monkeypatch.setattr(host_info, "_cpu_from_proc_cpuinfo", lambda: None)
    monkeypatch.setattr(host_info, "_cpu_from_sysctl", lambda: None)
    monkeypatch.setattr(host_info.platform, "processor", lambda: "")
    monkeypatch.setattr(host_info, "_cpu_from_pycpuinfo", lambda: "Brand From PyCpuinfo")
    assert host_info._find_cpu_model() == "Brand From PyCpuinfo"


def test_a_failing_cpu_probe_is_skipped(monkeypatch):
    def broken():
        raise OSError("no such thing")

    monkeypatch.setattr(host_info, "_cpu_from_proc_cpuinfo", broken)
    monkeypatch.setattr(host_info, "_cpu_from_sysctl", lambda: None)
    monkeypatch.setattr(host_info.platform, "processor", lambda: "unknown")
    monkeypatch.setattr(host_info, "_cpu_from_pycpuinfo", lambda: None)
    assert host_info._find_cpu_model() is None


def test_proc_cpuinfo_reader_returns_none_for_a_missing_file(tmp_path):
    assert host_info._cpu_from_proc_cpuinfo(str(tmp_path / "nope")) is None


X86_CPUINFO = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
model name\t: AMD EPYC 7B13 64-Core Processor
stepping\t: 1

processor\t: 1
model name\t: AMD EPYC 7B13 64-Core Processor
"""

ARM_CPUINFO = """processor\t: 0
BogoMIPS\t: 108.00
CPU implementer\t: 0x41

Hardware\t: BCM2835
Revision\t: c03111
Model\t\t: Raspberry Pi 4 Model B Rev 1.1
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (X86_CPUINFO, "AMD EPYC 7B13 64-Core Processor"),
        (ARM_CPUINFO, "BCM2835"),
        ("processor\t: 0\nmodel\t: 17\n", None),
        (
            "cpu\t\t: POWER9 (architected), altivec supported\n",
            "POWER9 (architected), altivec supported",
        ),
        ("", None),
    ],
)
def test_parse_cpuinfo_model(text, expected):
    assert parse_cpuinfo_model(text) == expected


@given(st.text())
def test_parse_cpuinfo_model_never_raises_on_any_text(text):
    result = parse_cpuinfo_model(text)
    assert result is None or (isinstance(result, str) and result == result.strip() and result)


@given(
    st.text(alphabet=st.characters(blacklist_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"))
    .map(str.strip)
    .filter(bool)
)
def test_parse_cpuinfo_model_returns_the_model_name_line(model):
    assert parse_cpuinfo_model(f"processor\t: 0\nmodel name\t: {model}\nflags\t: fpu\n") == model


# ----------------------------------------------------------------------------- GPUs


def test_gpus_from_nvidia_smi_match_the_shape_sacred_087_stores(monkeypatch, tmp_path):
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, f"cat <<'XML'\n{NVIDIA_XML}XML\n")
    info = get_host_info()
    assert info["gpus"] == PEER_GPUS
    assert list(info) == ["hostname", "os", "python_version", "cpu", "gpus", "ENV"]


@pytest.mark.parametrize(
    ("label", "body"),
    [
        ("exits with an error", "echo 'NVIDIA-SMI has failed' >&2\nexit 9\n"),
        ("prints something that is not XML", "echo not xml at all\n"),
        ("prints other XML", "echo '<other/>'\n"),
    ],
)
def test_failing_nvidia_smi_leaves_gpus_out_with_a_debug_line(
    monkeypatch, tmp_path, caplog, label, body
):
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, body)
    with caplog.at_level(logging.DEBUG, logger="sacred.host_info"):
        info = get_host_info()
    assert "gpus" not in info, label
    assert any("nvidia-smi" in r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)


def test_nvidia_smi_that_hangs_is_given_up_after_the_timeout(monkeypatch, tmp_path):
    fake_nvidia_smi(tmp_path / "bin", monkeypatch, "exec sleep 30\n")
    monkeypatch.setattr(host_info, "NVIDIA_SMI_TIMEOUT", 0.3)
    assert "gpus" not in get_host_info()


def test_missing_nvidia_smi_leaves_gpus_out(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    assert "gpus" not in get_host_info()


def test_parse_nvidia_smi_xml_rejects_text_that_is_not_nvidia_smi_output():
    with pytest.raises(ValueError, match="not XML"):
        parse_nvidia_smi_xml(b"\x00garbage")
    with pytest.raises(ValueError, match="nvidia_smi_log"):
        parse_nvidia_smi_xml("<html/>")


def test_parse_nvidia_smi_xml_tolerates_missing_fields():
    xml = "<nvidia_smi_log><gpu><fb_memory_usage><total>N/A</total></fb_memory_usage></gpu></nvidia_smi_log>"
    assert parse_nvidia_smi_xml(xml) == {
        "gpus": [{"model": "", "total_memory": None, "persistence_mode": False}],
        "driver_version": "",
    }


GPU_NAMES = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, blacklist_characters="<>&"),
    min_size=1,
    max_size=30,
)


@given(
    st.lists(
        st.tuples(GPU_NAMES, st.integers(0, 10**7), st.booleans()),
        max_size=8,
    ),
    GPU_NAMES,
)
def test_parse_nvidia_smi_xml_reads_back_what_was_written(gpus, driver):
    body = "".join(
        f"<gpu><product_name>{name}</product_name>"
        f"<persistence_mode>{'Enabled' if persistent else 'Disabled'}</persistence_mode>"
        f"<fb_memory_usage><total>{memory} MiB</total></fb_memory_usage></gpu>"
        for name, memory, persistent in gpus
    )
    xml = f"<nvidia_smi_log><driver_version>{driver}</driver_version>{body}</nvidia_smi_log>"
    assert parse_nvidia_smi_xml(xml) == {
        "gpus": [
            {"model": name, "total_memory": memory, "persistence_mode": persistent}
            for name, memory, persistent in gpus
        ],
        "driver_version": driver,
    }


# ----------------------------------------------------------------------------- custom gatherers


def test_host_info_gatherer_makes_a_named_getter_used_by_additional_host_info(
    monkeypatch, tmp_path
):
    without_nvidia_smi(monkeypatch, tmp_path)

    @host_info_gatherer("host IP address")
    def ip():
        return "127.0.0.1"

    assert isinstance(ip, HostInfoGetter)
    assert ip.name == "host IP address"
    assert ip.get_info() == ip() == "127.0.0.1"
    info = get_host_info([ip])
    assert info["host IP address"] == "127.0.0.1"
    assert "host IP address" not in get_host_info()


def test_host_info_getter_registers_globally_and_returns_the_function(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)

    def answer():
        return 42

    assert host_info_getter(answer) is answer
    assert host_info_gatherers == {"answer": answer}

    @host_info_getter(name="renamed")
    def seven():
        return 7

    @host_info_getter
    def plain():
        return "p"

    host_info_getter(lambda: [1, 2], "a list")
    assert seven() == 7
    assert set(host_info_gatherers) == {"answer", "renamed", "plain", "a list"}
    info = get_host_info()
    assert (info["answer"], info["renamed"], info["plain"], info["a list"]) == (42, 7, "p", [1, 2])


def test_global_gatherers_come_first_then_additional_then_builtin(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    host_info_getter(lambda: 1, "global")
    extra = HostInfoGetter(lambda: 2, "extra")
    assert list(get_host_info([extra]))[:3] == ["global", "extra", "hostname"]


def test_a_raising_gatherer_is_left_out_with_a_warning_naming_it(monkeypatch, tmp_path, caplog):
    without_nvidia_smi(monkeypatch, tmp_path)

    @host_info_gatherer("flaky probe")
    def flaky():
        raise RuntimeError("sensor offline")

    def broken_global():
        raise ValueError("boom")

    host_info_getter(broken_global)
    with caplog.at_level(logging.WARNING, logger="sacred.host_info"):
        info = get_host_info([flaky])
    assert "flaky probe" not in info and "broken_global" not in info
    assert info["hostname"] == platform.node()
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "flaky probe" in messages and "sensor offline" in messages
    assert "broken_global" in messages and "boom" in messages


def test_ignore_host_info_leaves_the_entry_out_silently(monkeypatch, tmp_path, caplog):
    without_nvidia_smi(monkeypatch, tmp_path)

    @host_info_gatherer("optional")
    def optional():
        raise IgnoreHostInfo()

    with caplog.at_level(logging.WARNING, logger="sacred.host_info"):
        info = get_host_info([optional])
    assert "optional" not in info
    assert not caplog.records


def test_custom_entry_cannot_replace_a_builtin_key(monkeypatch, tmp_path, caplog):
    without_nvidia_smi(monkeypatch, tmp_path)
    fake = HostInfoGetter(lambda: "not the host", "hostname")
    with caplog.at_level(logging.WARNING, logger="sacred.host_info"):
        assert get_host_info([fake])["hostname"] == platform.node()
    assert "built-in" in caplog.text
    with pytest.raises(KeyError, match="hostname"):
        check_additional_host_info([fake])


def test_check_additional_host_info_names_entries_that_are_not_getters():
    check_additional_host_info([HostInfoGetter(lambda: 1, "fine")])
    with pytest.raises(TypeError, match="host_info_gatherer"):
        check_additional_host_info([lambda: 1])


@pytest.mark.parametrize(
    ("getter", "name", "message"),
    [(42, "n", "callable"), (lambda: 1, "", "name"), (lambda: 1, 3, "name")],
)
def test_host_info_getter_object_rejects_bad_arguments(getter, name, message):
    with pytest.raises(TypeError, match=message):
        HostInfoGetter(getter, name)


def test_host_info_gatherer_used_without_a_name_says_how_to_use_it():
    with pytest.raises(TypeError, match=r"@host_info_gatherer\('my name'\)"):

        @host_info_gatherer
        def no_name():
            return 1


# ----------------------------------------------------------------------------- cost and imports


def test_import_and_first_call_do_not_load_py_cpuinfo_or_git(tmp_path):
    """Run in a fresh interpreter: importing must not load subprocess; a call not cpuinfo/git."""
    empty = tmp_path / "bin"
    empty.mkdir()
    script = textwrap.dedent(
        """
        import sys, json
        import sacred.host_info as h
        after_import = {m: m in sys.modules for m in ("subprocess", "cpuinfo", "git")}
        h.get_host_info()
        after_call = {m: m in sys.modules for m in ("cpuinfo", "git")}
        print(json.dumps([after_import, after_call]))
        """
    )
    env = {**os.environ, "PATH": str(empty)}
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert out.returncode == 0, out.stderr
    after_import, after_call = json.loads(out.stdout)
    assert after_import == {"subprocess": False, "cpuinfo": False, "git": False}
    if os.path.exists("/proc/cpuinfo"):
        assert after_call == {"cpuinfo": False, "git": False}


# ----------------------------------------------------------------------------- through Experiment


def test_experiment_run_carries_host_info_with_additional_gatherers(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    from sacred import Experiment

    @host_info_gatherer("answer")
    def answer():
        return 42

    ex = Experiment("host_info_e2e", additional_host_info=[answer])

    @ex.main
    def main():
        return "done"

    run = ex.run(options={"--loglevel": "ERROR"})
    assert run.result == "done"
    assert run.host_info["answer"] == 42
    assert run.host_info["hostname"] == platform.node()
    assert run.host_info["os"] == [platform.system(), platform.platform()]


def test_find_executable_finds_the_first_executable_on_path(monkeypatch, tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    (first / "tool").write_text("not executable\n")
    (first / "dir-tool").mkdir()
    for directory in (first, second):
        script = directory / "tool2"
        script.write_text("#!/bin/sh\n")
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    (second / "tool").write_text("#!/bin/sh\n")
    (second / "tool").chmod(0o755)
    monkeypatch.setenv("PATH", os.pathsep.join([str(first), str(second)]))
    assert host_info.find_executable("tool") == str(second / "tool")
    assert host_info.find_executable("tool2") == str(first / "tool2")
    assert host_info.find_executable("dir-tool") is None
    assert host_info.find_executable("missing") is None


def _counting_experiment(calls: list):
    from sacred import Experiment

    @host_info_gatherer("probe")
    def probe():
        calls.append(1)
        return "value"

    ex = Experiment("deferred_host_info", additional_host_info=[probe])
    ex.main(lambda: None)
    return ex


def test_host_info_is_not_gathered_for_a_run_nobody_observes(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    calls: list = []
    run = _counting_experiment(calls).run()
    assert calls == []
    # asked for afterwards, it is complete: the built-in keys and the custom entry
    assert run.host_info["probe"] == "value"
    assert set(run.host_info) == set(get_host_info()) | {"probe"}
    assert calls == [1]
    run.host_info  # noqa: B018 - gathered once per run
    assert calls == [1]


def test_observers_receive_the_complete_host_info_at_the_start(monkeypatch, tmp_path):
    from sacred.observers import RunObserver

    without_nvidia_smi(monkeypatch, tmp_path)
    received = []

    class Keeper(RunObserver):
        def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
            received.append(dict(host_info))
            return 1

    calls: list = []
    ex = _counting_experiment(calls)
    ex.observers.append(Keeper())
    run = ex.run()
    assert calls == [1]
    assert received == [run.host_info]
    assert received[0] == {**get_host_info(), "probe": "value"}


def test_host_info_can_be_set_on_a_run(monkeypatch, tmp_path):
    without_nvidia_smi(monkeypatch, tmp_path)
    calls: list = []
    run = _counting_experiment(calls).run()
    run.host_info = {"given": 1}
    assert run.host_info == {"given": 1}
    assert calls == []


def test_sources_and_dependencies_are_discovered_only_when_asked(monkeypatch, tmp_path):
    """A run nobody observes discovers nothing; asked for, experiment_info is complete."""
    import sacred.dependencies as dependencies
    from sacred.observers import RunObserver

    without_nvidia_smi(monkeypatch, tmp_path)
    calls = []
    real = dependencies.gather_sources_and_dependencies

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dependencies, "gather_sources_and_dependencies", counting)
    ex = _counting_experiment([])
    run = ex.run()
    assert calls == []
    info = run.experiment_info
    assert calls == [1]
    assert info == ex.get_experiment_info()
    assert {"name", "base_dir", "sources", "dependencies", "repositories", "mainfile",
            "doc"} <= set(info)
    assert any(d.startswith("sacred==") for d in info["dependencies"])

    received = []

    class Keeper(RunObserver):
        def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
            received.append(ex_info)
            return 1

    ex2 = _counting_experiment([])
    ex2.observers.append(Keeper())
    run2 = ex2.run()
    assert received == [run2.experiment_info] == [ex2.get_experiment_info()]
