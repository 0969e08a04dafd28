"""ConfigSummary: a config dict plus what the run's updates did to it."""

from __future__ import annotations

from sacred.utils import join_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["ConfigSummary"]


class ConfigSummary(dict):
    """A configuration together with its change record.

    ``added``: dotted keys set by updates that no config defined.
    ``modified``: dotted keys whose default an update changed.
    ``typechanged``: dotted key -> (old type, new type).
    ``docs``: dotted key -> documentation (comments in config scopes);
    ``docs["__doc__"]`` holds a scope's docstring.
    """

    def __init__(
        self,
        config: dict | None = None,
        added: set[str] | None = None,
        modified: set[str] | None = None,
        typechanged: dict[str, tuple[type, type]] | None = None,
        docs: dict[str, str] | Callable[[], dict[str, str]] | None = None,
    ) -> None:
        super().__init__(config or {})
        self.added = set(added or ())
        self.modified = set(modified or ())
        self.typechanged = dict(typechanged or {})
        # docs come from config scopes' comments, read from their source only when asked
        # for: (path, docs or a function returning them) merged in order on first access
        self._docs: dict[str, str] = {}
        self._pending_docs: list[tuple[str | None, Any]] = []
        if callable(docs):
            self._pending_docs.append((None, docs))
        else:
            self._docs = dict(docs or {})
        self.ensure_coherence()

    @property
    def docs(self) -> dict[str, str]:
        """Dotted key -> documentation (see the class docstring)."""
        if self._pending_docs:
            pending, self._pending_docs = self._pending_docs, []
            for path, source in pending:
                docs = source() if callable(source) else source
                if path is None:
                    self._docs.update(docs)
                else:
                    self._merge_docs(docs, path)
        return self._docs

    @docs.setter
    def docs(self, value: dict[str, str]) -> None:
        self._pending_docs = []
        self._docs = value

    def docs_source(self) -> dict[str, str] | Callable[[], dict[str, str]]:
        """The docs, or a function returning them if they have not been read yet."""
        return (lambda: self.docs) if self._pending_docs else self._docs

    def update_from(self, other: ConfigSummary, path: str = "") -> None:
        """Merge ``other``'s change record (under ``path``) into this one."""
        self.added |= {join_paths(path, a) for a in other.added}
        self.modified |= {join_paths(path, m) for m in other.modified}
        self.typechanged.update({join_paths(path, k): v for k, v in other.typechanged.items()})
        source = other.docs_source()
        if self._pending_docs or callable(source):  # keep the order of the merges
            self._pending_docs.append((path, source if callable(source) else dict(source)))
        else:
            self._merge_docs(source, path)
        self.ensure_coherence()

    def _merge_docs(self, docs: dict[str, str], path: str) -> None:
        for key, doc in docs.items():
            if key == "__doc__":
                target = join_paths(path, "__doc__") if path else "__doc__"
                if target in self.docs and self.docs[target] != doc:
                    doc = self.docs[target] + "\n" + doc
                self.docs[target] = doc
            else:
                self.docs[join_paths(path, key)] = doc

    def ensure_coherence(self) -> None:
        """Mark the parents of changed entries as modified (as print_config shows them)."""
        for key in set(self.added) | set(self.modified) | set(self.typechanged):
            parts = key.split(".")
            for i in range(1, len(parts)):
                self.modified.add(".".join(parts[:i]))
        self.modified -= self.added

    def __reduce__(self):
        return (
            ConfigSummary,
            (dict(self), self.added, self.modified, self.typechanged, self.docs),
        )

    __repr__ = dict.__repr__

    def describe(self) -> dict[str, Any]:
        """A JSON-able description of the changes (for logs and observers)."""
        return {
            "added": sorted(self.added),
            "modified": sorted(self.modified),
            "typechanged": {k: [t.__name__ for t in v] for k, v in self.typechanged.items()},
        }
