"""``headstart serve``: a run behind an HTTP API with a web page."""

from __future__ import annotations

import argparse
import sys

from headstart.cli.args import add_dataclass_arguments, build_dataclass
from headstart.deploy.server import ServeOptions


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "serve",
        help="serve a run over HTTP (POST /predict, a web page at /)",
        description="Serve a run directory (fp32, int8 or ONNX) over HTTP: POST /predict, GET /health, GET /info, "
        "a web page at /, OpenAPI at /docs and /openapi.json. Needs: pip install 'headstart[serve]'.",
    )
    parser.add_argument("run_dir", help="run directory (from 'headstart train' or 'headstart compress')")
    parser.add_argument("--config", metavar="FILE", help="YAML file setting any of these options (flags given here win)")
    add_dataclass_arguments(parser, ServeOptions)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from headstart.deploy.backends import load_predictor
    from headstart.deploy.server import serve
    from headstart.errors import ConfigError

    options = build_dataclass(ServeOptions, args)
    options.validate()
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:
        raise ConfigError("headstart serve needs FastAPI and uvicorn: pip install 'headstart[serve]'") from None
    from headstart.cli import tokens_io

    predictor = tokens_io.load_for_serving(args.run_dir) if tokens_io.is_token_run_dir(args.run_dir) else load_predictor(args.run_dir)
    print(f"serving {args.run_dir} ({predictor.format}) on http://{options.host}:{options.port}/  (API docs: /docs)", file=sys.stderr)
    serve(predictor, options)
    return 0
