"""The terminal reporter (itself a plugin): header, collect tree, live runs, failures, summary.

On a terminal (and unless ``--color=no``) a rich live display shows one line
per run (name, status, elapsed, latest metrics) and a progress bar across the
session. Otherwise output is plain, stable, color-free text, one line per
finished run. ``-q`` shortens and ``-v`` lengthens the output.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

from sacred_runner.hookspecs import hookimpl

__all__ = ["MIN_WIDTH_WITH_ELAPSED", "TerminalReporter", "filter_trace", "format_metrics", "live_row_texts"]

_STATUS_STYLE = {
    "COMPLETED": "green", "QUEUED": "cyan", "RUNNING": "yellow", "PENDING": "dim",
    "INTERRUPTED": "yellow", "FAILED": "red", "ERROR": "red", "TIMEOUT": "red",
}
_RUNNER_FRAME_MARKERS = ("/sacred_runner/", "/pluggy/", "\\sacred_runner\\", "\\pluggy\\")


def filter_trace(lines: list[str]) -> list[str]:
    """Drop traceback frames that belong to the runner or pluggy (not the user's code)."""
    kept: list[str] = []
    skip_code_line = False
    for chunk in lines:
        for line in chunk.splitlines(keepends=True):
            stripped = line.lstrip()
            if stripped.startswith('File "'):
                skip_code_line = any(marker in line for marker in _RUNNER_FRAME_MARKERS)
                if skip_code_line:
                    continue
            elif skip_code_line and line.startswith("    ") and not stripped.startswith("File"):
                continue
            else:
                skip_code_line = False
            kept.append(line)
    return kept


def format_metrics(metrics: dict[str, Any], limit: int = 4) -> str:
    """``loss=0.25 acc=0.9`` for the latest value of up to ``limit`` metrics."""
    parts = []
    for name, value in list(metrics.items())[:limit]:
        shown = f"{value:.4g}" if isinstance(value, float) else str(value)
        parts.append(f"{name}={shown}")
    return " ".join(parts)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def _pluralize(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


REFRESHES_PER_SECOND = 8
STATUS_WIDTH = len("INTERRUPTED")
ELAPSED_WIDTH = len("99999.9s")
MIN_METRICS_WIDTH = 12
MIN_WIDTH_WITH_ELAPSED = 2 + STATUS_WIDTH + 2 + ELAPSED_WIDTH + 8  # room for 8 characters of node id


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, with an ellipsis when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def live_row_texts(lines: list[dict], width: int, now: float) -> list[list[str]]:
    """The cells (node id, status, elapsed, metrics) of the live lines, laid out to fit ``width``.

    The status is never cut (from 14 columns on); the elapsed time is shown
    from :data:`MIN_WIDTH_WITH_ELAPSED` columns on, never cut; the node ids
    share one column, shortened when needed so that they still read apart
    (:func:`~sacred_runner.live_labels.distinct_labels`: a sweep point keeps
    its parameter values); the metrics get what is left, or nothing when that
    is too little to read.
    """
    from sacred_runner.live_labels import distinct_labels

    show_elapsed = width >= MIN_WIDTH_WITH_ELAPSED
    available = width - (2 + STATUS_WIDTH) - (2 + ELAPSED_WIDTH if show_elapsed else 0)
    metrics = [format_metrics(line["metrics"]) for line in lines]
    longest_id = max((len(line["nodeid"]) for line in lines), default=0)
    longest_metrics = max(map(len, metrics), default=0)
    metrics_width = 0
    if longest_metrics and available - 2 - MIN_METRICS_WIDTH >= 8:
        metrics_width = min(longest_metrics, max(MIN_METRICS_WIDTH, available // 3))
    id_width = max(min(8, available) if available > 0 else 1,
                   min(longest_id, available - (metrics_width + 2 if metrics_width else 0)))
    if metrics_width:
        metrics_width = max(metrics_width, available - id_width - 2)
    labels = distinct_labels([line["nodeid"] for line in lines], id_width)
    rows = []
    for line, label, metric_text in zip(lines, labels, metrics, strict=True):
        elapsed = (line["end"] or now) - line["begin"]
        rows.append([
            label.ljust(id_width),
            line["status"][:STATUS_WIDTH].ljust(STATUS_WIDTH),
            f"{elapsed:.1f}s".rjust(ELAPSED_WIDTH) if show_elapsed else "",
            _clip(metric_text, metrics_width) if metrics_width else "",
        ])
    return rows


class _LiveView:
    """The renderable of the live display: active/finished run lines and a progress bar."""

    def __init__(self, reporter: TerminalReporter) -> None:
        self.reporter = reporter

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.progress_bar import ProgressBar
        from rich.table import Table
        from rich.text import Text

        reporter = self.reporter
        with reporter.lock:
            lines = list(reporter.lines.values())
        width = reporter.console.width - 1  # the last column would make some terminals wrap
        rendered = []
        for nodeid, status, elapsed, metrics in live_row_texts(lines[-30:], width, time.monotonic()):
            row = Text(no_wrap=True, overflow="ellipsis")
            row.append(nodeid)
            row.append("  " + status, style=_STATUS_STYLE.get(status.strip(), "red"))
            if elapsed:
                row.append("  " + elapsed)
            if metrics:
                row.append("  " + metrics, style="cyan")
            rendered.append(row)
        partial = reporter.router.partial if reporter.router is not None else []
        for text in partial:  # the line a run is printing now, e.g. a progress bar
            rendered.append(Text("  " + text, style="dim", no_wrap=True, overflow="ellipsis"))
        done = sum(1 for line in lines if line["end"] is not None)
        counter = Text(f"{done}/{reporter.total} runs", no_wrap=True)
        bar = Table.grid(padding=(0, 1))
        bar_width = max(5, min(40, width - len(counter) - 1))
        bar.add_row(ProgressBar(total=max(reporter.total, 1), completed=done, width=bar_width), counter)
        return Group(*rendered, bar)


class TerminalReporter:
    """Prints everything the user sees; other plugins add summary sections through it."""

    def __init__(self) -> None:
        self.config: Any = None
        self.console: Any = None
        self.live: Any = None
        self.lock = threading.Lock()
        self.lines: dict[str, dict] = {}
        self.total = 0
        self.verbosity = 0
        self.live_enabled = False
        self.render_lock = threading.RLock()  # one writer at a time while the live display draws
        self.router: Any = None  # the OutputRouter while the live display owns the terminal
        self._console_file: Any = None
        self._ticker: threading.Thread | None = None
        self._ticker_stop = threading.Event()

    # ----------------------------------------------------------------- output

    def write_line(self, text: str = "", style: str | None = None) -> None:
        """Print one line (styled only on a color terminal)."""
        if self.console is None:
            print(text, file=sys.stdout)
            return
        with self.render_lock:
            self.console.print(text, style=style if self.console.color_system else None,
                               markup=False, highlight=False, soft_wrap=True)

    @property
    def width(self) -> int:
        """Columns for separators and the live display: the terminal's, at most 79."""
        return min(79, self.console.width) if self.console is not None else 79

    def section(self, title: str, style: str | None = None) -> None:
        """A ``==== title ====`` separator line as wide as :attr:`width`."""
        width = self.width
        text = f" {title} "
        if len(text) + 6 > width:  # too narrow for the rules: the title alone
            self.write_line(title, style=style)
            return
        side = max(3, (width - len(text)) // 2)
        self.write_line("=" * side + text + "=" * max(3, width - side - len(text)), style=style)

    # ----------------------------------------------------------------- hooks

    @hookimpl
    def sacred_configure(self, config: Any) -> None:
        """Create the console according to ``--color`` and the verbosity flags."""
        from rich.console import Console

        self.config = config
        self.verbosity = config.option.verbose - config.option.quiet
        color = config.option.color
        stream = config.stdout
        if color == "no":
            self.console = Console(file=stream, color_system=None, force_terminal=False,
                                   no_color=True, highlight=False, width=200)
        else:
            self.console = Console(file=stream, force_terminal=True if color == "yes" else None,
                                   highlight=False)
            if not self.console.is_terminal:
                self.console = Console(file=stream, color_system=None, force_terminal=False,
                                       no_color=True, highlight=False, width=200)
        # live updates move the cursor: only on a real terminal, never into a pipe or file,
        # even with --color=yes (which then gives colored plain lines)
        self.live_enabled = bool(self.console.is_terminal and self.console.color_system and _isatty(stream))

    @hookimpl
    def sacred_sessionstart(self, session: Any) -> None:
        """Header: versions, rootdir, config file, plugins (and plugin lines)."""
        if self.verbosity < 0 or (session.config.subcommand == "collect" and session.config.option.json):
            return
        import platform

        from sacred_runner import __version__
        from sacred_runner.plugins import external_plugin_names

        config = session.config
        self.section("sacred session starts", style="bold")
        self.write_line(f"platform {sys.platform} -- Python {platform.python_version()}, sacred {__version__}")
        configfile = config.inipath.name if config.inipath else "(none)"
        self.write_line(f"rootdir: {config.rootdir}, configfile: {configfile}")
        plugins = external_plugin_names(config.pluginmanager)
        if plugins:
            self.write_line("plugins: " + ", ".join(plugins))
        for extra in config.hook.sacred_report_header(config=config):
            for line in [extra] if isinstance(extra, str) else (extra or []):
                self.write_line(line)
        for warning in config.warnings:
            self.write_line(f"WARNING: {warning}", style="yellow")

    @hookimpl
    def sacred_collection_finish(self, session: Any) -> None:
        """The collect listing, or the 'collected N runs' line before running."""
        config = session.config
        if config.subcommand == "collect":
            self._report_collect(session)
            return
        if self.verbosity >= 0:
            text = f"collected {_pluralize(len(session.items), 'run')}"
            if session.deselected:
                text += f" ({len(session.deselected)} deselected)"
            if session.collect_errors:
                text += f" / {_pluralize(len(session.collect_errors), 'error')}"
            self.write_line(text, style="bold")
            self._report_skipped(session)
            for deselected in session.deselected:
                self.write_line(f"  deselected {deselected.label}: {deselected.reason}")
        self._report_no_files(session)
        if self.verbosity >= 0:
            self.write_line()
        self.total = len(session.items)
        if self.live_enabled and session.items and not (session.collect_errors and config.option.exitfirst):
            self._start_live()

    def _start_live(self) -> None:
        """Draw the live display; route what runs print (fds 1 and 2) above it."""
        from rich.live import Live

        from sacred_runner.run_output import OutputRouter, fileno_of

        terminal_fd = fileno_of(self.console.file)
        if terminal_fd is not None:
            router = OutputRouter(self._print_run_output)
            try:
                terminal = router.start(terminal_fd)
            except OSError as error:  # e.g. out of file descriptors: rich's own redirection instead
                router.stop()
                router.close_terminal()
                self.config.warn(f"run output is not routed above the live display: {error}")
            else:
                self.router, self._console_file, self.console.file = router, self.console.file, terminal
        # refreshed by our own ticker, under the same lock as the lines printed above it
        self.live = Live(_LiveView(self), console=self.console, auto_refresh=False, transient=False,
                         redirect_stdout=self.router is None, redirect_stderr=self.router is None)
        with self.render_lock:
            self.live.start(refresh=True)
        self._ticker_stop.clear()
        self._ticker = threading.Thread(target=self._tick, name="sacred-live-refresh", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._ticker_stop.wait(1 / REFRESHES_PER_SECOND):
            with self.render_lock:
                if self.live is not None:
                    self.live.refresh()

    def _print_run_output(self, lines: list[str]) -> None:
        """Print lines a run wrote above the live region (called from the output reader thread)."""
        from rich.text import Text

        with self.render_lock:
            self.console.print(Text("\n".join(lines)), overflow="fold", markup=False, highlight=False,
                               emoji=False)

    def _stop_live(self) -> None:
        """End the live display (its last state stays); print what runs left unprinted first."""
        if self._ticker is not None:
            self._ticker_stop.set()
            self._ticker.join(5.0)
            self._ticker = None
        if self.router is not None:
            self.router.stop()
        if self.live is not None:
            with self.render_lock:
                self.live.stop()
            self.live = None
        if self.router is not None:
            self.console.file = self._console_file
            self.router.close_terminal()
            self.router = None

    def _report_collect(self, session: Any) -> None:
        if session.config.option.json:
            data = {
                "rootdir": str(session.config.rootdir),
                "configfile": str(session.config.inipath) if session.config.inipath else None,
                "experiments": [node.to_dict() for node in session.nodes],
                "errors": [vars(error) | {"location": error.location()} for error in session.collect_errors],
            }
            print(json.dumps(data, indent=2, default=repr), file=session.config.stdout)
            return
        if self.verbosity < 0:
            for node in session.nodes:
                for command in node.commands:
                    if not command.builtin or self.verbosity > 0:
                        self.write_line(f"{node.nodeid}::{command.name}")
            for error in session.collect_errors:
                self.write_line(f"ERROR collecting {error.location()}: {error.message}", style="red")
            self._report_no_files(session)
            return
        self._report_skipped(session)
        current_file = None
        for node in session.nodes:
            if node.relpath != current_file:
                current_file = node.relpath
                self.write_line(f"<File {node.relpath}>", style="bold")
            doc = f"  {node.doc.splitlines()[0]}" if node.doc else ""
            self.write_line(f"  <Experiment {node.node_name}>{doc}", style="bold")
            for command in node.commands:
                if command.builtin and self.verbosity <= 0:
                    continue
                mark = " (default)" if command.is_default else ""
                doc = f"  {command.doc.splitlines()[0]}" if command.doc else ""
                self.write_line(f"    <Command {command.name}>{mark}{doc}")
            for named in node.named_configs:
                doc = f"  {named.doc.splitlines()[0]}" if named.doc else ""
                self.write_line(f"    <NamedConfig {named.name}>{doc}")
            for flag in node.flags:
                short = f" ({flag.short_flag})" if flag.short_flag else ""
                value = "" if flag.is_flag else " VALUE"
                doc = f"  {flag.doc}" if flag.doc else ""
                self.write_line(f"    <Flag {flag.long_flag}{short}{value}>{doc}")
            for ingredient in node.ingredients:
                self.write_line(f"    <Ingredient {ingredient}>")
            if node.config_error:
                self.write_line(f"    <Config error: {node.config_error}>", style="red")
            for key, value in node.config.items():
                doc = node.config_docs.get(key)
                self.write_line(f"    <Config {key} = {value!r}>" + (f"  # {doc}" if doc else ""))
        self.write_line()
        self._report_collect_errors(session)
        self._report_no_files(session)
        self.write_line(f"{_pluralize(len(session.nodes), 'experiment')} collected"
                        + (f" ({len(session.deselected)} deselected)" if session.deselected else "")
                        + (f", {_pluralize(len(session.collect_errors), 'error')}" if session.collect_errors else "")
                        + f" in {session.duration:.2f}s")

    def _report_skipped(self, session: Any) -> None:
        """With ``-v``: the directories collection did not search, and why."""
        if self.verbosity <= 0:
            return
        from sacred_runner.collect import relative_to_root

        for skipped in session.skipped:
            self.write_line(f"skipped {relative_to_root(skipped.path, session.config.rootdir)}: {skipped.reason}")

    def _report_no_files(self, session: Any) -> None:
        """When nothing was found: which ``experiment_files`` patterns were used and how to change them."""
        if session.nodes or session.collect_errors or not session.unmatched_dirs:
            return
        from sacred_runner.collect import relative_to_root

        config = session.config
        patterns = " ".join(config.getini("experiment_files"))
        raw = config.ini.values.get("experiment_files")
        origin = f"set in {raw.where()}" if raw is not None else "the default"
        skipped = {entry.path: entry.reason for entry in session.skipped}
        pattern_hint = False
        for directory, python_files in session.unmatched_dirs:
            where = relative_to_root(directory, config.rootdir)
            if directory in skipped:
                self.write_line(f"not searched: {where} is {skipped[directory]}")
                continue
            pattern_hint = True
            found = f"{_pluralize(python_files, '.py file')}, none matching" if python_files else "no .py files"
            self.write_line(f"no experiment files in {where}: {found} (experiment_files = {patterns}, {origin})")
        if not pattern_hint:
            return
        self.write_line(
            "Name experiment files to match, give files as arguments (sacred run my_script.py), or set "
            "experiment_files in sacred.ini [sacred] or pyproject.toml [tool.sacred], e.g. "
            "'experiment_files = *.py'."
        )

    def _report_collect_errors(self, session: Any) -> None:
        if not session.collect_errors:
            return
        self.section("ERRORS", style="red")
        for error in session.collect_errors:
            self.write_line(f"ERROR collecting {error.location()}: {error.message}", style="red")
            if self.verbosity > 0 and error.traceback:
                for line in filter_trace([error.traceback]):
                    self.write_line(line.rstrip("\n"))

    def _live_line(self, nodeid: str) -> dict:
        """The display state of run ``nodeid`` (created PENDING on first use; call with the lock)."""
        return self.lines.setdefault(nodeid, {
            "nodeid": nodeid, "status": "PENDING", "begin": time.monotonic(), "end": None, "metrics": {},
        })

    @hookimpl
    def sacred_run_event(self, item: Any, event: str, payload: dict) -> None:
        """Update the live line of the run."""
        with self.lock:
            line = self._live_line(item.nodeid)
            if event in ("started_event", "queued_event"):
                line["status"] = "RUNNING" if event == "started_event" else "QUEUED"
                line["begin"] = time.monotonic()
                config = payload.get("config")
                if isinstance(config, dict) and "seed" in config:
                    line["seed"] = config["seed"]
            elif event == "log_metrics":
                from sacred_runner.tracking import latest_metric_values

                line["metrics"].update(latest_metric_values(payload.get("metrics_by_name")))
        if self.verbosity > 0 and not self.live_enabled and event == "started_event":
            self.write_line(f"{item.nodeid} STARTED id={payload.get('_id')}")

    @hookimpl
    def sacred_run_report(self, item: Any, outcome: Any) -> None:
        """One line per finished run (plain mode) or the final state of its live line."""
        if self.router is not None:
            self.router.sync()  # the run's output (and an unfinished last line) goes above first
        with self.lock:
            line = self._live_line(item.nodeid)
            line["status"] = outcome.status
            line["end"] = time.monotonic()
            line["metrics"].update(outcome.metrics)
        if self.live_enabled or self.verbosity < 0:
            return
        parts = [item.nodeid, outcome.status, f"{outcome.duration:.2f}s"]
        if outcome.result is not None:
            parts.append(f"result={outcome.result}")
        if outcome.run_id is not None:
            parts.append(f"id={outcome.run_id}")
        if self.verbosity > 0 and outcome.metrics:
            parts.append(format_metrics(outcome.metrics))
        self.write_line(" ".join(parts), style=_STATUS_STYLE.get(outcome.status, "red"))

    @hookimpl(tryfirst=True)
    def sacred_terminal_summary(self, reporter: Any, exitstatus: int, config: Any) -> None:
        """Failures with filtered tracebacks, then the summary table."""
        self._stop_live()
        session = config.session
        if config.subcommand != "run":
            return
        self._report_collect_errors(session)
        failures = [(item, outcome) for item, outcome in session.results if outcome.failed]
        if failures and self.verbosity >= -1:
            self.section("FAILURES", style="red")
            for item, outcome in failures:
                title = f" {item.nodeid} "
                lead = min(20, max(3, (self.width - len(title)) // 2))
                self.write_line("_" * lead + title + "_" * max(3, self.width - lead - len(title)), style="red")
                if outcome.fail_trace:
                    for text in filter_trace(outcome.fail_trace):
                        self.write_line(text.rstrip("\n"))
                if outcome.error_message:
                    self.write_line(outcome.error_message)
        if session.results and self.verbosity >= 0:
            self._summary_table(session)

    def _with_text(self, item: Any) -> str:
        """The named configs and updates a run got, as after ``with`` (ini ones marked)."""
        from_ini = set(self.config.getini("named_configs") or ()) if self.config is not None else set()
        origin = self.config.inipath.name if self.config is not None and self.config.inipath else "ini"
        words = [f"{name} ({origin})" if name in from_ini else name for name in item.named_configs]
        from sacred.utils import iterate_flattened

        words += [f"{key}={value!r}" for key, value in iterate_flattened(item.config_updates)]
        return " ".join(words) or "-"

    def _summary_rows(self, session: Any) -> list[list[str]]:
        rows = []
        for item, outcome in session.results:
            with self.lock:
                seed = self.lines.get(item.nodeid, {}).get("seed")
            rows.append([
                f"{item.relpath}::{item.node_name}", item.command, self._with_text(item), outcome.status,
                f"{outcome.duration:.2f}s", outcome.result if outcome.result is not None else "-",
                "-" if seed is None else str(seed),
                str(outcome.run_id) if outcome.run_id is not None else "-",
                ", ".join(outcome.stores) or ("unobserved" if item.unobserved else "-"),
            ])
        return rows

    def _summary_table(self, session: Any) -> None:
        """Per run: what it was (command, with, seed), how it ended, its id and where it went.

        Aligned columns when they fit the terminal; otherwise one block per
        run, so nothing is cut or wrapped mid-word.
        """
        manager = getattr(session.config, "pluginmanager", None)
        sweep = manager.get_plugin("sweep") if manager is not None else None
        table = sweep.summary_table(session) if sweep is not None else None
        if table is not None:  # a sweep: one row per point, its values, best first with an objective
            self._write_table(*table)
            return
        headers = ["experiment", "command", "with", "status", "duration", "result", "seed", "run id", "store"]
        rows = self._summary_rows(session)
        self.section("summary", style="bold")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        fits = sum(widths) + 2 * (len(widths) - 1) <= (self.console.width if self.console is not None else 200)
        status_column = headers.index("status")
        for row in rows if not fits else []:
            experiment, command, with_text, status, duration, result, seed, run_id, store = row
            self.write_line(f"{experiment}::{command} {status} {duration}", style=_STATUS_STYLE.get(status, "red"))
            details = [f"with {with_text}"] if with_text != "-" else []
            details += [f"result {result}", f"seed {seed}", f"run {run_id}", f"store {store}"]
            self.write_line("    " + ", ".join(details))
        if fits:
            self.write_line("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(),
                            style="bold")
            for row in rows:
                self.write_line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(),
                                style=_STATUS_STYLE.get(row[status_column], "red"))
        not_started = session.not_started
        if not_started:
            shown = ", ".join(item.nodeid for item in not_started[:5]) + (", ..." if len(not_started) > 5 else "")
            self.write_line(f"{_pluralize(len(not_started), 'run')} never started: {shown}", style="yellow")

    def _write_table(self, headers: list[str], rows: list[list[str]]) -> None:
        self.section("summary", style="bold")
        # aligned plain columns, colored by status when colors are on: never truncated
        # (a narrow terminal wraps a long row instead of cutting its cells)
        status = headers.index("status")
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        self.write_line("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip(), style="bold")
        for row in rows:
            self.write_line("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip(),
                            style=_STATUS_STYLE.get(row[status], "red"))

    @hookimpl
    def sacred_unconfigure(self, config: Any) -> None:
        """Give the terminal back if the session ended without a summary (e.g. an internal error)."""
        self._stop_live()

    @hookimpl(trylast=True)
    def sacred_sessionfinish(self, session: Any, exitstatus: int) -> None:
        """The final ``N completed, M failed ... in Xs`` line."""
        if session.config.subcommand != "run":
            return
        counts: dict[str, int] = {}
        for _, outcome in session.results:
            key = "failed" if outcome.failed else outcome.status.lower()
            counts[key] = counts.get(key, 0) + 1
        parts = [f"{count} {name}" for name, count in sorted(counts.items())]
        if session.deselected:
            parts.append(f"{len(session.deselected)} deselected")
        if session.collect_errors:
            parts.append(_pluralize(len(session.collect_errors), "error"))
        if session.not_started:
            parts.append(f"{len(session.not_started)} not started")
        text = ", ".join(parts) or "no runs"
        if session.interrupted:
            from sacred_runner.stopping import stop_signal

            by = stop_signal()
            text = (f"Interrupted by {by}: " if by else "Interrupted: ") + text
        elif session.stopped_early:
            text += " (stopped at the first failure, -x)"
        style = "red" if exitstatus not in (0, 5) else "green"
        self.section(f"{text} in {session.duration:.2f}s", style=style)
