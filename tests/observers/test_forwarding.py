"""ForwardingObserver: every run event of a real run as a picklable RunEvent, replayable elsewhere."""

from __future__ import annotations

import json
import pickle

from sacred import Experiment
from sacred.observers import FileStorageObserver, ForwardingObserver
from sacred.run_events import RunEvent


def _experiment(tmp_path):
    artifact = tmp_path / "a.txt"
    artifact.write_text("x")
    ex = Experiment("forwarded")

    @ex.main
    def main(_run):
        _run.log_scalar("loss", 1.5)
        _run.add_artifact(str(artifact))
        print("hello")
        return 3

    return ex


def test_a_forwarded_run_replays_into_a_store_elsewhere(tmp_path):
    """What a launcher does: records travel pickled; the home side replays them into its observers."""
    shipped: list[bytes] = []
    store = FileStorageObserver(str(tmp_path / "home"))

    def send(event: RunEvent):
        shipped.append(pickle.dumps(event))
        if event.starts_run:  # the home side assigns the id
            return pickle.loads(shipped[-1]).deliver(store)
        return None

    ex = _experiment(tmp_path)
    ex.observers.append(ForwardingObserver(send=send, priority=5))
    run = ex.run(options={"--capture": "sys"})
    records = [pickle.loads(data) for data in shipped]
    assert records[0].name == "started_event" and records[-1].name == "completed_event"
    assert [r.name for r in records].count("artifact_event") == 1
    for record in records[1:]:
        record.deliver(store)
    store.join()
    stored = json.loads((tmp_path / "home" / str(run._id) / "run.json").read_text())
    assert stored["status"] == "COMPLETED" and stored["result"] == 3
    assert stored["artifacts"] == ["a.txt"]
    assert "hello" in (tmp_path / "home" / str(run._id) / "cout.txt").read_text()
    metrics = json.loads((tmp_path / "home" / str(run._id) / "metrics.json").read_text())
    assert metrics["loss"]["values"] == [1.5]


def test_the_forwarded_id_becomes_the_runs_id():
    ex = Experiment("ids")
    ex.main(lambda: None)
    ex.observers.append(ForwardingObserver(send=lambda e: "remote-7" if e.starts_run else None))
    assert ex.run()._id == "remote-7"


def test_a_subclass_overrides_forward():
    class Collect(ForwardingObserver):
        def __init__(self):
            super().__init__()
            self.names = []

        def forward(self, event):
            self.names.append(event.name)

    observer = Collect()
    ex = Experiment("sub")
    ex.main(lambda: 1)
    ex.observers.append(observer)
    ex.run()
    assert observer.names[0] == "started_event" and observer.names[-1] == "completed_event"
