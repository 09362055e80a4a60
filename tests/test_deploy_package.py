"""headstart package: a wheel that pip installs offline and that predicts with plain transformers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

import pytest
from deploy_support import TEXTS, tiny_run

from headstart.api import predict_texts
from headstart.cli.main import main
from headstart.deploy.wheel import PackageOptions, build_wheel
from headstart.errors import ConfigError


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return tiny_run(tmp_path_factory)


def test_wheel_installs_offline_and_predicts_like_headstart(run_dir, tmp_path):
    wheel = build_wheel(run_dir, PackageOptions(out=str(tmp_path / "dist"), name="sentiment-demo", version="1.2.0"))
    assert wheel.name == "sentiment_demo-1.2.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read("sentiment_demo-1.2.0.dist-info/METADATA").decode()
        record = archive.read("sentiment_demo-1.2.0.dist-info/RECORD").decode().splitlines()
    assert {"sentiment_demo/__init__.py", "sentiment_demo/model/model.safetensors", "sentiment_demo/model/config.json"} <= names
    assert "Name: sentiment-demo" in metadata and "Requires-Dist: transformers>=5,<6" in metadata
    assert len(record) == len(names) and all(line.count(",") == 2 for line in record)

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", "--target", str(target), str(wheel)], check=True)
    script = f"import json, sentiment_demo; print(json.dumps(sentiment_demo.load()({TEXTS!r})))"
    env = {**os.environ, "PYTHONPATH": str(target), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True, cwd=tmp_path)
    installed = json.loads(done.stdout.strip().splitlines()[-1])
    expected = predict_texts(run_dir, TEXTS)
    assert [r["label"] for r in installed] == [e["label"] for e in expected]
    for got, want in zip(installed, expected):
        assert got["probabilities"]["positive"] == pytest.approx(want["probabilities"]["positive"], abs=1e-4)


def test_package_refuses_bad_names_versions_and_compressed_runs(run_dir, tmp_path):
    with pytest.raises(ConfigError, match="--name 'bad name!' is not a valid package name") as err:
        build_wheel(run_dir, PackageOptions(out=str(tmp_path), name="bad name!", version="one"))
    assert "--version 'one' is not a PEP 440 version" in str(err.value)
    fake = tmp_path / "int8-run"
    fake.mkdir()
    (fake / "headstart.yaml").write_text("run_name: x\ndeploy: {format: int8, source_run: /runs/x}\n")
    with pytest.raises(ConfigError, match="is a int8 run, which plain transformers cannot load; package the original run \\(/runs/x\\)"):
        build_wheel(fake, PackageOptions(out=str(tmp_path)))


def test_cli_package(run_dir, tmp_path, capsys):
    assert main(["package", str(run_dir), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    wheel = tmp_path / f"headstart_model_{run_dir.name}-0.1.0-py3-none-any.whl"
    assert wheel.is_file() and f"import headstart_model_{run_dir.name}" in out
