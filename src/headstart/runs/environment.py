"""Library versions and machine facts saved with every run, so results can be reproduced."""

from __future__ import annotations

import importlib.metadata
import os
import platform

PACKAGES = ("headstart", "torch", "transformers", "tokenizers", "accelerate", "peft", "safetensors", "scikit-learn", "numpy")


def library_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def machine() -> dict[str, str | int]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import torch

    return {
        "platform": platform.platform(),
        "cpu": cpu,
        "cpu_count": os.cpu_count() or 0,
        "torch_threads": torch.get_num_threads(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "none",
    }
