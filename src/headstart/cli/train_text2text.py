"""``headstart train --task text2text``: text-to-text generation."""

from __future__ import annotations

import argparse

from headstart.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options only this task uses (the shared ones are registered by cli/train.py)."""


def run(args: argparse.Namespace) -> int:
    raise ConfigError("--task text2text is not available in this version of headstart.")
