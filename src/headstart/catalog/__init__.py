"""Named base models that ship inside PyPI packages, and name/path resolution."""

from headstart.catalog.entries import CATALOG, CatalogEntry
from headstart.catalog.resolve import ResolvedBase, resolve_base

__all__ = ["CATALOG", "CatalogEntry", "ResolvedBase", "resolve_base"]
