"""``package``: a run as a pip-installable wheel with a ``load()`` function (as spaCy ships pipelines).

The wheel is written directly with zipfile (it is pure Python plus data files), so
building needs no network, no build backend and no compiler. The installed package
depends on transformers and torch only, not on headstart.
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from headstart.errors import ConfigError
from headstart.runs.load import read_record

LOADER = '''"""__SUMMARY__

    import __MODULE__
    classifier = __MODULE__.load()
    classifier(["some text"])  # [{"label": ..., "score": ..., "probabilities": {...}}]
"""

from pathlib import Path

__version__ = "__VERSION__"
MODEL_DIR = Path(__file__).parent / "model"
LABELS = __LABELS__
MAX_LENGTH = __MAX_LENGTH__


class Classifier:
    """A transformers sequence classifier with its tokenizer."""

    def __init__(self, model, tokenizer, max_length=MAX_LENGTH):
        self.model = model
        self.tokenizer = tokenizer
        self.max_length = max_length

    def predict_proba(self, texts, batch_size=32):
        """Class probabilities, one row per text, columns in LABELS order."""
        import torch

        rows = []
        with torch.inference_mode():
            for start in range(0, len(texts), batch_size):
                batch = self.tokenizer(list(texts[start : start + batch_size]), padding=True, truncation=True, max_length=self.max_length, return_tensors="pt")
                rows.extend(torch.softmax(self.model(**batch).logits.float(), dim=-1).tolist())
        return rows

    def __call__(self, texts, batch_size=32):
        """Label, score and probabilities for each text (a string is taken as one text)."""
        if isinstance(texts, str):
            texts = [texts]
        out = []
        for row in self.predict_proba(texts, batch_size):
            best = max(range(len(row)), key=row.__getitem__)
            out.append({"label": LABELS[best], "score": row[best], "probabilities": dict(zip(LABELS, row))})
        return out


def load(device="cpu"):
    """Load the packaged model (safetensors, no remote code) and return a Classifier."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(MODEL_DIR, local_files_only=True, trust_remote_code=False, use_safetensors=True)
    tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR, local_files_only=True, trust_remote_code=False)
    return Classifier(model.to(device).eval(), tokenizer)
'''


@dataclass
class PackageOptions:
    """Wheel name, version and output folder."""

    out: str = "dist"
    """Folder the wheel is written to."""
    name: str | None = None
    """Distribution name [default: headstart-model-RUN_NAME]."""
    version: str = "0.1.0"
    """Package version (PEP 440)."""


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _module_name(dist: str) -> str:
    module = re.sub(r"[^a-z0-9]+", "_", dist.lower()).strip("_")
    return module if module and not module[0].isdigit() else f"model_{module}"


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def _check(run_dir: Path, record: dict, options: PackageOptions, dist: str) -> None:
    errors = []
    fmt = (record.get("deploy") or {}).get("format", "fp32")
    if fmt != "fp32":
        errors.append(f"{run_dir} is a {fmt} run, which plain transformers cannot load; package the original run ({(record.get('deploy') or {}).get('source_run', 'its source')}).")
    if not (run_dir / "model.safetensors").is_file():
        errors.append(f"{run_dir} has no model.safetensors; package a finished 'headstart train' run.")
    if not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?", dist):
        errors.append(f"--name {dist!r} is not a valid package name: use letters, digits, '-', '_' or '.'.")
    if not re.fullmatch(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?", options.version):
        errors.append(f"--version {options.version!r} is not a PEP 440 version such as 0.1.0.")
    if errors:
        raise ConfigError(" ".join(errors))


def build_wheel(run_dir: str | Path, options: PackageOptions | None = None) -> Path:
    """Write ``NAME-VERSION-py3-none-any.whl`` holding the run and a loader; returns its path."""
    options = options or PackageOptions()
    run_dir = Path(run_dir)
    record = read_record(run_dir)
    run_name = str(record.get("run_name") or run_dir.name)
    dist = _normalise(options.name or f"headstart-model-{run_name}")
    _check(run_dir, record, options, dist)
    module = _module_name(dist)
    labels = list(record.get("labels") or [])
    max_length = int(record.get("train", {}).get("max_length", 512))
    base = record.get("base") or {}
    summary = f"{run_name}: a text classifier ({', '.join(labels[:5])}{', ...' if len(labels) > 5 else ''}) fine-tuned with headstart from {base.get('name', 'a pre-trained encoder')}."
    loader = (
        LOADER.replace("__SUMMARY__", summary.replace('"', "'"))
        .replace("__MODULE__", module)
        .replace("__VERSION__", options.version)
        .replace("__LABELS__", repr(labels))
        .replace("__MAX_LENGTH__", str(max_length))
    )
    files: dict[str, bytes] = {f"{module}/__init__.py": loader.encode()}
    for path in sorted(run_dir.rglob("*")):
        if path.is_file() and not any(part.startswith(".") for part in path.relative_to(run_dir).parts):
            files[f"{module}/model/{path.relative_to(run_dir).as_posix()}"] = path.read_bytes()
    stem = f"{module}-{options.version}"
    info = f"{stem}.dist-info"
    card = (run_dir / "README.md").read_text(encoding="utf-8") if (run_dir / "README.md").is_file() else summary
    license_name = base.get("license")
    metadata = [
        "Metadata-Version: 2.1",
        f"Name: {dist}",
        f"Version: {options.version}",
        f"Summary: {summary}",
        *([f"License: {license_name} (base model license)"] if license_name else []),
        "Requires-Python: >=3.10",
        "Requires-Dist: torch",
        "Requires-Dist: transformers>=5,<6",
        "Requires-Dist: safetensors",
        "Description-Content-Type: text/markdown",
        "",
        card,
    ]
    files[f"{info}/METADATA"] = "\n".join(metadata).encode()
    files[f"{info}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: headstart\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    files[f"{info}/top_level.txt"] = f"{module}\n".encode()
    record_lines = [_record_line(name, data) for name, data in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    out_dir = Path(options.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{stem}-py3-none-any.whl"
    partial = wheel.with_name(f".{wheel.name}.partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    partial.replace(wheel)
    return wheel
