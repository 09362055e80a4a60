"""``headstart train --task tokens``: token classification (NER)."""

from __future__ import annotations

import argparse

from headstart.errors import ConfigError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options only this task uses (the shared ones are registered by cli/train.py)."""


def run(args: argparse.Namespace) -> int:
    raise ConfigError("--task tokens is not available in this version of headstart.")
