"""Walk nested run data before an observer stores it (re-exported from :mod:`sacred.utils`).

* :func:`map_leaves`: copy a structure, converting every leaf.
* :func:`mask_secrets`: the same structure with URL passwords replaced by ``***``.
"""

from sacred.utils import map_leaves, mask_secrets

__all__ = ["map_leaves", "mask_secrets"]
