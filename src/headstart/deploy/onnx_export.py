"""Export a classifier to ONNX (torch.onnx, dynamo exporter) and quantize it with ONNX Runtime."""

from __future__ import annotations

import contextlib
import io
import logging
from pathlib import Path

import torch
from torch import nn

from headstart.errors import ConfigError


def _example_inputs(model: nn.Module) -> dict[str, torch.Tensor]:
    # Batch 2 and length 8: a size-1 example dimension would be specialised to a constant.
    vocab = int(getattr(model.config, "vocab_size", 100))
    ids = torch.arange(16, dtype=torch.long).reshape(2, 8) % max(vocab, 1)
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    if getattr(model.config, "type_vocab_size", 0):
        inputs["token_type_ids"] = torch.zeros_like(ids)
    return inputs


@contextlib.contextmanager
def _quiet_exporter():
    # The exporter prints progress lines and warns about torchvision ops it cannot register.
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logger.setLevel(level)


def export_onnx(model: nn.Module, out: Path) -> Path:
    """Write ``model`` as one self-contained ONNX file with dynamic batch and sequence axes.

    Inputs are named input_ids, attention_mask (and token_type_ids for BERT-style
    models); the output is ``logits``.
    """
    import warnings

    from torch.export import Dim

    model = model.to("cpu").eval()
    inputs = _example_inputs(model)
    batch, sequence = Dim("batch", min=1), Dim("sequence", min=1, max=int(getattr(model.config, "max_position_embeddings", 512)))
    shapes = {name: {0: batch, 1: sequence} for name in inputs}
    try:
        with _quiet_exporter(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                model,
                (),
                str(out),
                kwargs=inputs,
                input_names=list(inputs),
                output_names=["logits"],
                dynamic_shapes=shapes,
                dynamo=True,
                external_data=False,
                verbose=False,
            )
    except Exception as err:  # the exporter raises many unrelated types
        raise ConfigError(f"ONNX export of {type(model).__name__} failed ({type(err).__name__}: {str(err)[:300]}). Use --int8 instead, or report the model type.") from None
    return Path(out)


def quantize_onnx_int8(source: Path, out: Path) -> Path:
    """Dynamic int8 quantization of the MatMul/Gemm weights of an ONNX file (ONNX Runtime)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(source), str(out), weight_type=QuantType.QInt8)
    return Path(out)
