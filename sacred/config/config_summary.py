"""ConfigSummary: a config dict plus what the run's updates did to it."""

from __future__ import annotations

from sacred.utils import join_paths

TYPE_CHECKING = False
if TYPE_CHECKING:
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
        docs: dict[str, str] | None = None,
    ) -> None:
        super().__init__(config or {})
        self.added = set(added or ())
        self.modified = set(modified or ())
        self.typechanged = dict(typechanged or {})
        self.docs = dict(docs or {})
        self.ensure_coherence()

    def update_from(self, other: ConfigSummary, path: str = "") -> None:
        """Merge ``other``'s change record (under ``path``) into this one."""
        self.added |= {join_paths(path, a) for a in other.added}
        self.modified |= {join_paths(path, m) for m in other.modified}
        self.typechanged.update({join_paths(path, k): v for k, v in other.typechanged.items()})
        for key, doc in other.docs.items():
            if key == "__doc__":
                target = join_paths(path, "__doc__") if path else "__doc__"
                if target in self.docs and self.docs[target] != doc:
                    doc = self.docs[target] + "\n" + doc
                self.docs[target] = doc
            else:
                self.docs[join_paths(path, key)] = doc
        self.ensure_coherence()

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
