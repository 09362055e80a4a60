"""Choose the arithmetic precision the hardware runs fastest without hurting accuracy."""

from __future__ import annotations

from pathlib import Path

import torch

from headstart.errors import ConfigError


def cpu_has_native_bf16() -> bool:
    """True when the CPU has AVX-512 BF16 or AMX instructions (bf16 matmuls faster than fp32)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return any(flag in flags for flag in (" avx512_bf16", " amx_bf16"))


def resolve_precision(requested: str) -> str:
    """Map 'auto'/'fp32'/'bf16' to the accelerate mixed_precision value ('no' or 'bf16')."""
    if requested == "fp32":
        return "no"
    native = torch.cuda.is_bf16_supported() if torch.cuda.is_available() else cpu_has_native_bf16()
    if requested == "bf16":
        # Honoured even without native support: it runs, only slower than fp32.
        return "bf16"
    if requested == "auto":
        return "bf16" if native else "no"
    raise ConfigError(f"--precision must be auto, fp32 or bf16; got '{requested}'.")
