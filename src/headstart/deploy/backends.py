"""One interface over the ways a run can execute: transformers fp32, torch int8, ONNX Runtime.

``predict``, ``eval`` and ``serve`` only need logits for a list of texts, so each
format implements :class:`Predictor` and :func:`load_predictor` picks the one a run
directory's ``headstart.yaml`` names under ``deploy.format`` (absent means fp32).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from headstart.errors import RunDirError
from headstart.runs.load import LoadedRun, load_run, read_record

FP32, INT8, ONNX, ONNX_INT8 = "fp32", "int8", "onnx", "onnx-int8"
FORMATS = (FP32, INT8, ONNX, ONNX_INT8)
ONNX_FILE = "model.onnx"


class Predictor(Protocol):
    """What inference needs from a run, whatever executes it."""

    path: Path
    record: dict[str, Any]
    tokenizer: Any

    @property
    def format(self) -> str: ...

    @property
    def label_names(self) -> list[str]: ...

    @property
    def max_length(self) -> int: ...

    def predict_logits(self, texts: list[str], batch_size: int = 64, pairs: list[str] | None = None) -> np.ndarray:
        """Logits of shape (len(texts), n_labels), in input order; ``pairs``: second texts of a sentence-pair run."""
        ...


def run_format(record: dict[str, Any]) -> str:
    """The format a run record declares (runs written by ``train`` are fp32)."""
    return str((record.get("deploy") or {}).get("format", FP32))


def _max_length(record: dict[str, Any]) -> int:
    return int(record.get("train", {}).get("max_length", 512))


@dataclass
class TorchPredictor:
    """A torch ``nn.Module`` classifier: the fp32 transformers model or its int8 copy."""

    path: Path
    record: dict[str, Any]
    model: Any
    tokenizer: Any
    format: str = FP32

    @classmethod
    def from_loaded(cls, loaded: LoadedRun) -> "TorchPredictor":
        return cls(loaded.path, loaded.record, loaded.model, loaded.tokenizer, FP32)

    @property
    def label_names(self) -> list[str]:
        config = self.model.config
        return [config.id2label[i] for i in range(config.num_labels)]

    @property
    def max_length(self) -> int:
        return _max_length(self.record)

    def predict_logits(self, texts: list[str], batch_size: int = 64, pairs: list[str] | None = None) -> np.ndarray:
        from headstart.tasks.classification import pad_id
        from headstart.tasks.inference import encode_texts, predict_logits

        encoded, _ = encode_texts(self.tokenizer, list(texts), self.max_length, None if pairs is None else list(pairs))
        return predict_logits(self.model, encoded, pad_id(self.tokenizer), batch_size)


@dataclass
class OnnxPredictor:
    """An exported graph run by ONNX Runtime (fp32 or int8 weights)."""

    path: Path
    record: dict[str, Any]
    session: Any
    tokenizer: Any
    labels: list[str]
    format: str = ONNX

    @property
    def label_names(self) -> list[str]:
        return self.labels

    @property
    def max_length(self) -> int:
        return _max_length(self.record)

    def predict_logits(self, texts: list[str], batch_size: int = 64, pairs: list[str] | None = None) -> np.ndarray:
        from headstart.tasks.classification import pad_id
        from headstart.tasks.inference import encode_texts
        from headstart.training.batching import Collator, Encoded, sorted_batches

        encoded, _ = encode_texts(self.tokenizer, list(texts), self.max_length, None if pairs is None else list(pairs))
        if not len(encoded):
            return np.zeros((0, len(self.labels)), dtype=np.float32)
        wanted = [i.name for i in self.session.get_inputs()]
        collate = Collator(Encoded(encoded.input_ids, None, encoded.token_type_ids if "token_type_ids" in wanted else None), pad_id(self.tokenizer))
        out = np.zeros((len(encoded), len(self.labels)), dtype=np.float32)
        for indices in sorted_batches(encoded.lengths(), batch_size):
            batch = {k: v.numpy() for k, v in collate(indices).items()}
            if "token_type_ids" in wanted and "token_type_ids" not in batch:
                batch["token_type_ids"] = np.zeros_like(batch["input_ids"])
            logits = self.session.run(None, {name: batch[name] for name in wanted})[0]
            out[indices] = logits
        return out


def _labels_from_config(folder: Path) -> list[str]:
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    return [config.id2label[i] for i in range(config.num_labels)]


def _load_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(folder, local_files_only=True, trust_remote_code=False)


def onnx_session(model_file: Path, threads: int = 0) -> Any:
    """An ONNX Runtime CPU session (``threads=0``: let ONNX Runtime choose)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


def predictor_from_folder(folder: Path, record: dict[str, Any]) -> Predictor:
    """Build the predictor for a run folder whose record is already read (also used before the folder is final)."""
    from headstart.models.loading import quiet_transformers

    folder = Path(folder)
    fmt = run_format(record)
    quiet_transformers()
    if fmt == FP32:
        from transformers import AutoModelForSequenceClassification

        model = AutoModelForSequenceClassification.from_pretrained(folder, local_files_only=True, trust_remote_code=False, use_safetensors=True)
        model.eval()
        return TorchPredictor(folder, record, model, _load_tokenizer(folder), FP32)
    if fmt == INT8:
        from headstart.deploy.quantize import load_int8_model

        return TorchPredictor(folder, record, load_int8_model(folder), _load_tokenizer(folder), INT8)
    if fmt in (ONNX, ONNX_INT8):
        model_file = folder / ONNX_FILE
        if not model_file.is_file():
            raise RunDirError(f"{folder}: the run says it is {fmt} but has no {ONNX_FILE}. Re-create it with 'headstart compress SOURCE_RUN --{fmt}'.")
        try:
            session = onnx_session(model_file)
        except ImportError:
            raise RunDirError(f"{folder} is an ONNX run and needs onnxruntime; install it with: pip install 'headstart[onnx]'") from None
        return OnnxPredictor(folder, record, session, _load_tokenizer(folder), _labels_from_config(folder), fmt)
    raise RunDirError(f"{folder}: unknown deploy.format {fmt!r} in headstart.yaml; this headstart knows {', '.join(FORMATS)}. Upgrade headstart or re-create the run.")


def load_predictor(path: str | Path) -> Predictor:
    """Load any finished run directory (fp32, int8 or ONNX) for inference."""
    path = Path(path)
    record = read_record(path)
    if run_format(record) == FP32:
        return TorchPredictor.from_loaded(load_run(path))
    return predictor_from_folder(path, record)


def as_predictor(run: Predictor | LoadedRun | str | Path) -> Predictor:
    """Accept what the Python API has always accepted (a path or a LoadedRun) plus any Predictor."""
    if isinstance(run, LoadedRun):
        return TorchPredictor.from_loaded(run)
    if isinstance(run, (str, Path)):
        return load_predictor(run)
    return run
