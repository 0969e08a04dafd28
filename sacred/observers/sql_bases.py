"""SQLAlchemy ORM models of the SqlObserver's tables, as Sacred 0.8.7's ``sql_bases``.

Tools written for 0.8.7 query runs through these classes::

    from sacred.observers.sql_bases import Run
    for run in session.query(Run).filter_by(status="COMPLETED"):
        print(run.to_json())

The classes map the observer's own tables (:mod:`sacred.observers.sql._schema`),
so what they read is exactly what :class:`~sacred.observers.SqlObserver`
wrote. ``get_or_create`` goes through the observer's deduplication, so rows
made here and rows the observer makes for the same host, experiment, source,
dependency or resource are one row. Importing this module needs SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from sqlalchemy.orm import DeclarativeBase, relationship

from sacred.observers.sql._schema import build_tables

__all__ = [
    "Artifact",
    "Base",
    "Dependency",
    "Experiment",
    "Host",
    "Repository",
    "Resource",
    "Run",
    "Source",
]

_TABLES = build_tables()


class Base(DeclarativeBase):
    """The declarative base; ``Base.metadata`` holds every table (``create_all`` makes them)."""

    metadata = _TABLES.metadata


def _writer(session: Any) -> Any:
    """The SqlObserver's row-writing logic, bound to ``session``."""
    from sacred.observers.sql import SqlObserver

    return SqlObserver.create_from(session.get_bind(), session)


def _loads(text: str | None) -> Any:
    return json.loads(text) if text else None


class Source(Base):
    """A source file of an experiment, with its content (table ``source``)."""

    __table__ = _TABLES.source

    @classmethod
    def get_or_create(cls, filename: str, md5sum: str, session: Any, basedir: str) -> Source:
        """The row for ``filename`` (relative to ``basedir``) with ``md5sum``, made if absent."""
        path = os.path.join(basedir, filename)
        with open(path, "rb") as f:
            content = f.read().decode("utf-8", errors="replace")
        row_id = _writer(session)._get_or_create(
            _TABLES.source,
            (filename, md5sum),
            {"filename": filename, "md5sum": md5sum, "content": content},
        )
        return session.get(cls, row_id)

    def to_json(self) -> dict:
        """``{"filename", "md5sum"}``."""
        return {"filename": self.filename, "md5sum": self.md5sum}


class Repository(Base):
    """A version-control repository an experiment's sources live in (table ``repository``)."""

    __table__ = _TABLES.repository

    @classmethod
    def get_or_create(cls, url: str, commit: str, dirty: bool, session: Any) -> Repository:
        """The row for this repository state, made if absent."""
        row_id = _writer(session)._get_or_create(
            _TABLES.repository, (url, commit, dirty), {"url": url, "commit": commit, "dirty": dirty}
        )
        return session.get(cls, row_id)

    def to_json(self) -> dict:
        """``{"url", "commit", "dirty"}``."""
        return {"url": self.url, "commit": self.commit, "dirty": self.dirty}


class Dependency(Base):
    """A package dependency ``name==version`` (table ``dependency``)."""

    __table__ = _TABLES.dependency

    @classmethod
    def get_or_create(cls, dep: str, session: Any) -> Dependency:
        """The row for ``"name==version"``, made if absent."""
        name, _, version = dep.partition("==")
        row_id = _writer(session)._get_or_create(
            _TABLES.dependency, (dep,), {"name": name, "version": version or None}
        )
        return session.get(cls, row_id)

    def to_json(self) -> str:
        """``"name==version"``."""
        return f"{self.name}=={self.version}"


class Resource(Base):
    """A file the run opened as a resource, with its content (table ``resource``)."""

    __table__ = _TABLES.resource

    @classmethod
    def get_or_create(cls, filename: str, session: Any) -> Resource:
        """The row for the file's current content, made if absent."""
        with open(filename, "rb") as f:
            content = f.read()
        md5sum = hashlib.md5(content).hexdigest()
        row_id = _writer(session)._get_or_create(
            _TABLES.resource,
            (filename, md5sum),
            {"filename": filename, "md5sum": md5sum, "content": content},
        )
        return session.get(cls, row_id)

    def to_json(self) -> dict:
        """``{"filename", "md5sum"}``."""
        return {"filename": self.filename, "md5sum": self.md5sum}


class Host(Base):
    """A machine runs ran on (table ``host``)."""

    __table__ = _TABLES.host

    @classmethod
    def get_or_create(cls, host_info: dict, session: Any) -> Host:
        """The row for ``host_info`` (as the run stores it), made if absent."""
        return session.get(cls, _writer(session)._host_id(host_info))

    def to_json(self) -> dict:
        """``{"cpu", "hostname", "os": [os, os_info], "python_version"}``."""
        return {
            "cpu": self.cpu,
            "hostname": self.hostname,
            "os": [self.os, self.os_info],
            "python_version": self.python_version,
        }


class Experiment(Base):
    """An experiment: name, base directory, sources, dependencies, repositories."""

    __table__ = _TABLES.experiment
    sources = relationship(Source, secondary=_TABLES.experiments_sources)
    repositories = relationship(Repository, secondary=_TABLES.experiments_repositories)
    dependencies = relationship(Dependency, secondary=_TABLES.experiments_dependencies)

    @classmethod
    def get_or_create(cls, ex_info: dict, session: Any) -> Experiment:
        """The row for ``ex_info`` (the run's experiment info), linked rows included."""
        return session.get(cls, _writer(session)._experiment_id(ex_info))

    def to_json(self) -> dict:
        """``{"name", "base_dir", "sources", "repositories", "dependencies"}``."""
        return {
            "name": self.name,
            "base_dir": self.base_dir,
            "sources": [s.to_json() for s in self.sources],
            "repositories": [r.to_json() for r in self.repositories],
            "dependencies": [d.to_json() for d in self.dependencies],
        }


class Artifact(Base):
    """A file a run added as an artifact, with its content (table ``artifact``)."""

    __table__ = _TABLES.artifact

    @classmethod
    def create(cls, name: str, filename: str) -> Artifact:
        """A new (unsaved) artifact named ``name`` holding the content of ``filename``."""
        with open(filename, "rb") as f:
            content = f.read()
        return cls(
            filename=name, content=content, path=filename, md5sum=hashlib.md5(content).hexdigest()
        )

    def to_json(self) -> dict:
        """``{"_id", "filename"}``."""
        return {"_id": self.artifact_id, "filename": self.filename}


class Run(Base):
    """A run (table ``run``), with its host, experiment, resources and artifacts."""

    __table__ = _TABLES.run
    host = relationship(Host)
    experiment = relationship(Experiment)
    resources = relationship(
        Resource,
        secondary=_TABLES.runs_resources,
        primaryjoin=_TABLES.run.c.run_id == _TABLES.runs_resources.c.run_id,
        secondaryjoin=_TABLES.resource.c.resource_id == _TABLES.runs_resources.c.resource_id,
    )
    artifacts = relationship(
        Artifact,
        primaryjoin=_TABLES.run.c.run_id == _TABLES.artifact.c.run_id,
    )

    def to_json(self) -> dict:
        """The run as 0.8.7's ``Run.to_json`` gives it (config parsed from JSON)."""
        return {
            "_id": self.run_id,
            "command": self.command,
            "start_time": self.start_time,
            "heartbeat": self.heartbeat,
            "stop_time": self.stop_time,
            "queue_time": self.queue_time,
            "status": self.status,
            "result": self.result,
            "meta": {"comment": self.comment, "priority": self.priority},
            "resources": [r.to_json() for r in self.resources],
            "artifacts": [a.to_json() for a in self.artifacts],
            "host": self.host.to_json() if self.host is not None else None,
            "experiment": self.experiment.to_json() if self.experiment is not None else None,
            "config": _loads(self.config),
            "captured_out": self.captured_out,
            "fail_trace": self.fail_trace,
        }
