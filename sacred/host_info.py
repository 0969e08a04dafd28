"""Information about the machine a run executes on (``run.host_info``).

:func:`get_host_info` returns a JSON-ready dict with the keys ``hostname``,
``os`` (``[system, platform string]``), ``python_version``, ``cpu`` (model
name), ``gpus`` (only when ``nvidia-smi`` answers) and ``ENV`` (the variables
named in ``SETTINGS.HOST_INFO.CAPTURED_ENV`` that are set), plus one entry per
custom gatherer.

Collecting it costs milliseconds: the CPU model is read from
``/proc/cpuinfo``; ``platform.processor()`` and py-cpuinfo (which samples the
clock for about a second) are only asked when nothing cheaper answers. What
cannot change within a process (CPU model, hostname, OS string, the static GPU
description) is computed once and cached; :func:`clear_host_info_cache` forgets
it. Importing this module imports neither ``subprocess`` nor py-cpuinfo.

Custom entries come from two places, as in Sacred 0.8.7:

* ``Experiment(additional_host_info=[...])`` with :class:`HostInfoGetter`
  objects, usually made with the :func:`host_info_gatherer` decorator;
* the module-level dict :data:`host_info_gatherers`, filled by
  :func:`host_info_getter`.

A custom gatherer that raises does not stop the run: a warning naming it is
logged and its key is left out. Raising :class:`IgnoreHostInfo` leaves the
key out silently. The built-in keys always win over custom entries of the
same name (:func:`check_additional_host_info` rejects such names up front).
"""

from __future__ import annotations

import logging
import os
import platform
from collections.abc import Callable

from sacred.settings import SETTINGS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "HostInfoGetter",
    "IgnoreHostInfo",
    "check_additional_host_info",
    "clear_host_info_cache",
    "get_host_info",
    "host_info_gatherer",
    "host_info_gatherers",
    "host_info_getter",
]

logger = logging.getLogger(__name__)

NVIDIA_SMI_TIMEOUT = 5.0
"""Seconds ``nvidia-smi -q -x`` may take before the GPU entry is given up."""

SYSCTL_TIMEOUT = 2.0
"""Seconds ``sysctl`` may take when asked for the CPU model on macOS."""


class IgnoreHostInfo(Exception):
    """Raise inside a host info gatherer to leave its entry out of host_info."""


class HostInfoGetter:
    """A named function that contributes one entry to the host info.

    ``getter`` is called without arguments and must return JSON-serialisable
    data; ``name`` is the key of that data in ``host_info``.
    """

    def __init__(self, getter: Callable[[], Any], name: str) -> None:
        if not callable(getter):
            raise TypeError(
                f"HostInfoGetter needs a callable that takes no arguments, got {getter!r}"
            )
        if not isinstance(name, str) or not name:
            raise TypeError(f"HostInfoGetter needs a non-empty string name, got {name!r}")
        self.getter_function = getter
        self.name = name

    def __call__(self) -> Any:
        return self.getter_function()

    def get_info(self) -> Any:
        """Call the getter and return its value."""
        return self.getter_function()

    def __repr__(self) -> str:
        return f"<HostInfoGetter {self.name!r}: {getattr(self.getter_function, '__qualname__', self.getter_function)!r}>"


def host_info_gatherer(name: str) -> Callable[[Callable[[], Any]], HostInfoGetter]:
    """Decorator turning a function into a :class:`HostInfoGetter` named ``name``.

    Pass the result to ``Experiment(additional_host_info=[...])``::

        @host_info_gatherer('host IP address')
        def ip():
            ...
    """
    if callable(name) and not isinstance(name, str):
        raise TypeError(
            "host_info_gatherer needs the entry name first: "
            "use @host_info_gatherer('my name'), not a bare @host_info_gatherer"
        )

    def wrap(func: Callable[[], Any]) -> HostInfoGetter:
        return HostInfoGetter(func, name)

    return wrap


host_info_gatherers: dict[str, Callable[[], Any]] = {}
"""Global custom gatherers: entry name -> function (or HostInfoGetter) taking no arguments."""


def host_info_getter(func: Callable[[], Any] | None = None, name: str | None = None) -> Any:
    """Add ``func`` to the global :data:`host_info_gatherers` and return it.

    ``name`` is the key in host_info; it defaults to the function's name.
    Usable as ``@host_info_getter``, ``@host_info_getter(name='x')`` or as a
    plain call ``host_info_getter(func, 'x')``.
    """
    if func is None:
        return lambda f: host_info_getter(f, name=name)
    if isinstance(func, str) and name is None:
        # @host_info_getter('x'): the name given positionally
        return lambda f: host_info_getter(f, name=func)
    if not callable(func):
        raise TypeError(f"host_info_getter needs a function taking no arguments, got {func!r}")
    key = name if name is not None else getattr(func, "__name__", None)
    if not isinstance(key, str) or not key:
        raise TypeError(f"host_info_getter could not derive a name for {func!r}; pass name='...'")
    host_info_gatherers[key] = func
    return func


# ---------------------------------------------------------------------------
# built-in entries

_cache: dict[str, Any] = {}
_MISSING = object()


def clear_host_info_cache() -> None:
    """Forget the cached CPU model, hostname, OS string and GPU description."""
    _cache.clear()


def _cached(key: str, compute: Callable[[], Any]) -> Any:
    value = _cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        _cache[key] = value
    return value


def _hostname() -> str:
    return _cached("hostname", platform.node)


def _os() -> list[str]:
    return list(_cached("os", lambda: (platform.system(), platform.platform())))


def _python_version() -> str:
    return platform.python_version()


def _cpu() -> str | None:
    if not SETTINGS.HOST_INFO.INCLUDE_CPU_INFO:
        return None
    return _cached("cpu", _find_cpu_model)


def _find_cpu_model() -> str | None:
    for source in (
        _cpu_from_proc_cpuinfo,
        _cpu_from_sysctl,
        _cpu_from_platform,
        _cpu_from_pycpuinfo,
    ):
        try:
            model = source()
        except Exception as exc:  # a probe failing must never stop a run
            logger.debug("CPU model probe %s failed: %s", source.__name__, exc)
            continue
        if model:
            return model
    return None


def _cpu_from_proc_cpuinfo(path: str = "/proc/cpuinfo") -> str | None:
    """The first ``model name`` (x86), ``Model``/``Hardware`` (ARM) or ``cpu`` line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    return parse_cpuinfo_model(text)


def parse_cpuinfo_model(text: str) -> str | None:
    """Extract the CPU model from the text of ``/proc/cpuinfo`` (None when absent)."""
    fallbacks: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if not value:
            continue
        if key == "model name":
            return value
        if key in ("hardware", "model", "cpu", "processor") and key not in fallbacks:
            fallbacks[key] = value
    # ARM boards name the SoC in "Hardware"/"Model"; POWER in "cpu"; x86 "model"
    # is a number and "processor" an index, so those two only count when textual.
    for key in ("hardware", "model", "cpu", "processor"):
        value = fallbacks.get(key)
        if value and not value.isdigit():
            return value
    return None


def _cpu_from_sysctl() -> str | None:
    if platform.system() != "Darwin":
        return None
    import subprocess

    result = subprocess.run(
        ["sysctl", "-n", "machdep.cpu.brand_string"],
        capture_output=True,
        text=True,
        timeout=SYSCTL_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        return None
    return result.stdout.strip() or None


def _cpu_from_platform() -> str | None:
    model = platform.processor().strip()
    return model if model and model.lower() != "unknown" else None


def _cpu_from_pycpuinfo() -> str | None:
    try:
        import cpuinfo  # py-cpuinfo; slow (it samples the clock), hence last
    except ImportError:
        logger.debug("py-cpuinfo is not installed; CPU model unknown")
        return None
    info = cpuinfo.get_cpu_info()
    return info.get("brand_raw") or info.get("brand") or None


def _gpus() -> Any:
    """GPU description from nvidia-smi; raises IgnoreHostInfo when there is none."""
    if not SETTINGS.HOST_INFO.INCLUDE_GPU_INFO:
        return None
    value = _cached("gpus", _query_nvidia_smi)
    if value is None:
        raise IgnoreHostInfo()
    return value


def find_executable(name: str) -> str | None:
    """The first executable file ``name`` on ``PATH``, like ``shutil.which`` for a bare name.

    Written out because importing shutil (bz2, lzma, fnmatch ...) costs a fresh
    process more than the search itself.
    """
    for directory in os.environ.get("PATH", os.defpath).split(os.pathsep):
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def _query_nvidia_smi() -> dict | None:
    executable = find_executable("nvidia-smi")
    if executable is None:
        logger.debug("nvidia-smi not found; no GPU info collected")
        return None
    import subprocess

    try:
        result = subprocess.run(
            [executable, "-q", "-x"],
            capture_output=True,
            timeout=NVIDIA_SMI_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("nvidia-smi failed (%s); no GPU info collected", exc)
        return None
    if result.returncode != 0:
        logger.debug(
            "nvidia-smi exited with %s; no GPU info collected: %s",
            result.returncode,
            result.stderr.decode(errors="replace").strip(),
        )
        return None
    try:
        return parse_nvidia_smi_xml(result.stdout)
    except ValueError as exc:
        logger.debug("could not read nvidia-smi output (%s); no GPU info collected", exc)
        return None


def parse_nvidia_smi_xml(xml: bytes | str) -> dict:
    """Turn ``nvidia-smi -q -x`` output into ``{"gpus": [...], "driver_version": str}``.

    Each GPU is ``{"model": str, "total_memory": int (MiB), "persistence_mode": bool}``.
    Raises ValueError when the text is not nvidia-smi XML.
    """
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not XML: {exc}") from None
    if root.tag != "nvidia_smi_log":
        raise ValueError(f"unexpected root element <{root.tag}>, expected <nvidia_smi_log>")
    gpus = []
    for gpu in root.iter("gpu"):
        gpus.append(
            {
                "model": (gpu.findtext("product_name") or "").strip(),
                "total_memory": _mebibytes(gpu.findtext("fb_memory_usage/total")),
                "persistence_mode": (gpu.findtext("persistence_mode") or "").strip() == "Enabled",
            }
        )
    return {"gpus": gpus, "driver_version": (root.findtext("driver_version") or "").strip()}


def _mebibytes(text: str | None) -> int | None:
    """``"24268 MiB"`` -> 24268; None when the amount is missing or not a number."""
    if not text:
        return None
    amount = text.strip().split()[0] if text.strip() else ""
    try:
        return int(float(amount))
    except ValueError:
        return None


def _environment() -> dict[str, str]:
    names = SETTINGS.HOST_INFO.CAPTURED_ENV
    if isinstance(names, str):
        names = [names]
    return {name: os.environ[name] for name in names if name in os.environ}


_DEFAULT_GATHERERS = (
    HostInfoGetter(_hostname, "hostname"),
    HostInfoGetter(_os, "os"),
    HostInfoGetter(_python_version, "python_version"),
    HostInfoGetter(_cpu, "cpu"),
    HostInfoGetter(_gpus, "gpus"),
    HostInfoGetter(_environment, "ENV"),
)
DEFAULT_HOST_INFO_KEYS = tuple(g.name for g in _DEFAULT_GATHERERS)
"""The built-in host_info keys, which custom gatherers may not reuse."""


def check_additional_host_info(additional_host_info: list[HostInfoGetter]) -> None:
    """Reject custom gatherers that are not HostInfoGetters or reuse a built-in key.

    Raises TypeError naming the offending item, or KeyError naming the key.
    """
    for getter in additional_host_info:
        if not isinstance(getter, HostInfoGetter):
            raise TypeError(
                f"additional_host_info entries must be HostInfoGetter objects "
                f"(made with @host_info_gatherer('name')), got {getter!r}"
            )
        if getter.name in DEFAULT_HOST_INFO_KEYS:
            raise KeyError(
                f"Key {getter.name} used in `additional_host_info` already exists as a "
                f"default gatherer function. Do not use the following keys: "
                f"{list(DEFAULT_HOST_INFO_KEYS)}"
            )


def get_host_info(additional_host_info: list[HostInfoGetter] | None = None) -> dict:
    """Collect some information about the machine this experiment runs on.

    Returns a dict with the CPU model, hostname, OS, Python version, GPUs (when
    nvidia-smi answers), the captured environment variables and the entries of
    the global and the given additional gatherers.
    """
    gatherers: list[tuple[str, Callable[[], Any]]] = list(host_info_gatherers.items())
    gatherers += [(g.name, g) for g in additional_host_info or ()]
    host_info: dict[str, Any] = {}
    for name, getter in gatherers:
        if name in DEFAULT_HOST_INFO_KEYS:
            logger.warning(
                "Host info gatherer %r ignored: %r is a built-in host info key", getter, name
            )
            continue
        _gather_into(host_info, name, getter)
    for getter in _DEFAULT_GATHERERS:
        _gather_into(host_info, getter.name, getter)
    return host_info


def _gather_into(host_info: dict, name: str, getter: Callable[[], Any]) -> None:
    try:
        host_info[name] = getter()
    except IgnoreHostInfo:
        logger.debug("Host info entry %r left out by its gatherer", name)
    except Exception as exc:  # host info must never stop a run
        logger.warning(
            "Host info gatherer %r failed and is left out: %s: %s",
            name,
            type(exc).__name__,
            exc,
        )
