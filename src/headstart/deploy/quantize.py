"""Dynamic int8 quantization of a classifier's Linear layers (torch), stored as safetensors.

torch's quantized modules keep their weights in packed C++ objects that safetensors
cannot hold, and loading pickled state is not allowed in headstart. So the int8
weights are stored as plain tensors (``NAME.weight_int8`` with its per-tensor
``NAME.weight_scale`` and ``NAME.weight_zero_point``) next to the fp32 tensors of
everything that is not quantized (embeddings, LayerNorms). Loading builds the
architecture from config.json, quantizes it (which allocates empty int8 Linear
layers) and sets the stored int8 weights back: the file on disk is int8, and the
weights are the ones measured at compression time, not re-quantized ones.

``torch.ao.quantization.quantize_dynamic`` is deprecated in torch 2.13 in favour of
torchao but still works; the deprecation warnings are silenced here.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import nn

from headstart.errors import RunDirError

INT8_FILE = "model.int8.safetensors"
FORMAT_TAG = "headstart-int8-dynamic-v1"


def _quantize(model: nn.Module) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8, inplace=False)


def _quantized_linears(model: nn.Module) -> dict[str, nn.Module]:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return {name: module for name, module in model.named_modules() if isinstance(module, DynamicLinear)}


def quantize_int8(model: nn.Module) -> nn.Module:
    """An int8 copy of ``model`` (the original is untouched); runs on CPU only."""
    return _quantize(model.to("cpu").eval())


def save_int8(model: nn.Module, folder: Path) -> Path:
    """Quantize ``model`` and write config.json + the int8 safetensors file into ``folder``."""
    from safetensors.torch import save_file

    quantized = quantize_int8(model)
    linears = _quantized_linears(quantized)
    tensors: dict[str, torch.Tensor] = {}
    for key, value in model.state_dict().items():
        owner, _, leaf = key.rpartition(".")
        if owner in linears and leaf in ("weight", "bias"):
            continue
        tensors[key] = value.detach().cpu().contiguous().clone()
    for name, module in linears.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weight, bias = module._packed_params._weight_bias()
        tensors[f"{name}.weight_int8"] = weight.int_repr().contiguous()
        tensors[f"{name}.weight_scale"] = torch.tensor([weight.q_scale()], dtype=torch.float64)
        tensors[f"{name}.weight_zero_point"] = torch.tensor([weight.q_zero_point()], dtype=torch.int64)
        if bias is not None:
            tensors[f"{name}.bias"] = bias.detach().contiguous().clone()
    model.config.save_pretrained(folder)
    out = Path(folder) / INT8_FILE
    save_file(tensors, str(out), metadata={"format": FORMAT_TAG, "torch": torch.__version__})
    return out


def load_int8_model(folder: Path) -> nn.Module:
    """Rebuild the int8 classifier written by :func:`save_int8` (safetensors only, no pickle)."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    from transformers import AutoConfig, AutoModelForSequenceClassification

    folder = Path(folder)
    path = folder / INT8_FILE
    if not path.is_file():
        raise RunDirError(f"{folder}: an int8 run needs {INT8_FILE}, which is missing. Re-create it with 'headstart compress SOURCE_RUN --int8'.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            tag = (handle.metadata() or {}).get("format")
    except Exception as err:  # safetensors raises its own error type for damaged files
        raise RunDirError(f"{path} is not a readable safetensors file ({err}). Re-create it with 'headstart compress SOURCE_RUN --int8'.") from None
    if tag != FORMAT_TAG:
        raise RunDirError(f"{path}: expected a {FORMAT_TAG} file, found format {tag!r}. Re-create it with 'headstart compress SOURCE_RUN --int8'.")
    tensors = load_file(str(path))
    config = AutoConfig.from_pretrained(folder, local_files_only=True, trust_remote_code=False)
    model = AutoModelForSequenceClassification.from_config(config).eval()
    # Quantized Linear layers only load their own packed format, so fp32 tensors go in first.
    plain = {k: v for k, v in tensors.items() if not k.endswith(("weight_int8", "weight_scale", "weight_zero_point"))}
    missing, unexpected = model.load_state_dict(plain, strict=False)
    model = _quantize(model)
    linears = _quantized_linears(model)
    missing = [k for k in missing if k.rpartition(".")[0] not in linears]
    absent = [f"{name}.weight_int8" for name in linears if f"{name}.weight_int8" not in tensors]
    if missing or unexpected or absent:
        found = (missing + unexpected + absent)[:3]
        raise RunDirError(f"{path} does not match config.json (first mismatches: {', '.join(found)}). Re-create it with 'headstart compress SOURCE_RUN --int8'.")
    for name, module in linears.items():
        scale = float(tensors[f"{name}.weight_scale"][0])
        zero_point = int(tensors[f"{name}.weight_zero_point"][0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            weight = torch._make_per_tensor_quantized_tensor(tensors[f"{name}.weight_int8"], scale, zero_point)
            module.set_weight_bias(weight, tensors.get(f"{name}.bias"))
    return model.eval()
