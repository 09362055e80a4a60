#!/usr/bin/env bash
# One-step set-up on a fresh machine: a virtual environment in .venv with headstart,
# its pinned dependencies (torch 2.13.0 CPU build) and the test tools.
set -euo pipefail
cd "$(dirname "$0")"
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e ".[test]"
echo "headstart is installed in .venv (try: .venv/bin/headstart --help)"
