"""``serve``: a run behind an HTTP API (FastAPI) with dynamic batching, limits, a token and a web page.

Endpoints: ``POST /predict`` (``{"text": ...}`` or ``{"texts": [...]}``; a sentence-pair run also takes
``"text_pair"`` / ``"text_pairs"``), ``GET /health``,
``GET /info`` (labels, format, card metadata, limits), ``GET /report`` (the model card),
``GET /`` (web page), ``/docs`` and ``/openapi.json``. Every refusal is a 4xx whose
``detail`` names the limit and the option that sets it.
"""

# No ``from __future__ import annotations``: FastAPI reads the request model of /predict,
# a class local to create_app, from the live annotation.
import json
import secrets
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from headstart.data.pairs import recorded_columns
from headstart.deploy.backends import Predictor
from headstart.deploy.microbatch import MicroBatcher
from headstart.deploy.page import render_page
from headstart.errors import ConfigError


@dataclass
class ServeOptions:
    """HTTP server settings."""

    host: str = "127.0.0.1"
    """Interface to listen on (0.0.0.0 exposes the server to the network)."""
    port: int = 8000
    """TCP port."""
    token: str | None = None
    """Require 'Authorization: Bearer TOKEN' on /predict, /info and /report [default: no token]."""
    max_text_chars: int = 10_000
    """Longest text accepted, in characters."""
    max_texts: int = 64
    """Most texts in one request."""
    max_body_bytes: int = 1_000_000
    """Largest request body, in bytes."""
    batch_wait_ms: float = 5.0
    """How long a request waits for others to share its forward pass."""
    max_batch_texts: int = 128
    """Most texts in one forward pass."""

    def validate(self) -> None:
        errors = []
        for name in ("port", "max_text_chars", "max_texts", "max_body_bytes", "max_batch_texts"):
            if getattr(self, name) < 1:
                errors.append(f"--{name.replace('_', '-')} must be at least 1; got {getattr(self, name)}.")
        if self.batch_wait_ms < 0:
            errors.append(f"--batch-wait-ms must be 0 or more; got {self.batch_wait_ms}.")
        if self.token is not None and len(self.token) < 8:
            errors.append("--token must have at least 8 characters.")
        if errors:
            raise ConfigError(" ".join(errors))

    def limits(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k.startswith("max_")}


class BodySizeLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes with 413, by declared length or by counting."""

    def __init__(self, app: Any, limit: int):
        self.app = app
        self.limit = limit

    def _refusal(self) -> Any:
        from fastapi.responses import JSONResponse

        return JSONResponse({"detail": f"request body is larger than the limit of {self.limit} bytes (--max-body-bytes)."}, status_code=413)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await self._refusal()(scope, receive, send)
            return
        # No (or a small) declared length: read the body here, counting, and replay it to the app.
        # Raising from inside receive would not work: FastAPI turns errors while reading into a 400.
        body, more = bytearray(), True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body.extend(message.get("body", b""))
            more = message.get("more_body", False)
            if len(body) > self.limit:
                await self._refusal()(scope, receive, send)
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self.app(scope, replay, send)


def _card_metadata(predictor: Predictor) -> dict[str, Any]:
    record = predictor.record
    base = record.get("base") or {}
    data = record.get("data") or {}
    metrics_file = Path(predictor.path) / "metrics.json"
    metrics = {}
    if metrics_file.is_file():
        scores = json.loads(metrics_file.read_text(encoding="utf-8"))
        metrics = {split: {k: v.get(k) for k in ("accuracy", "macro_f1", "n_examples")} for split, v in scores.items() if isinstance(v, dict)}
    return {
        "run_name": record.get("run_name", Path(predictor.path).name),
        "task": record.get("task", "text-classification"),
        "base": base.get("name"),
        "license": base.get("license"),
        "data": data.get("name"),
        "metrics": metrics,
        "deploy": {k: v for k, v in (record.get("deploy") or {}).items() if k in ("format", "source_run_name", "measurement")},
    }


def create_app(predictor: Predictor, options: ServeOptions | None = None) -> Any:
    """The FastAPI application serving ``predictor``."""
    from fastapi import Depends, FastAPI, HTTPException, Request
    from fastapi.encoders import jsonable_encoder
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
    from pydantic import BaseModel, Field

    from headstart.api import predict_texts
    from headstart.api_tokens import entity_predictions

    options = options or ServeOptions()
    options.validate()
    pair_run = bool(recorded_columns(predictor.record)[1])
    token_run = predictor.record.get("task") == "token-classification"
    # A pair run batches (text, text_pair) tuples; the batcher does not look inside its items.
    batcher = MicroBatcher(
        (lambda texts: entity_predictions(predictor, texts, options.max_batch_texts)) if token_run
        else (lambda items: predict_texts(predictor, [a for a, _ in items], options.max_batch_texts, [b for _, b in items])) if pair_run
        else (lambda texts: predict_texts(predictor, texts, options.max_batch_texts)),
        options.max_batch_texts,
        options.batch_wait_ms,
    )
    metadata = _card_metadata(predictor)
    page = render_page(metadata["run_name"], predictor.label_names, predictor.format, options.token is not None)

    class PredictRequest(BaseModel):
        text: str | None = Field(None, description="One text to classify.")
        texts: list[str] | None = Field(None, description=f"Several texts (at most {options.max_texts}).")
        text_pair: str | None = Field(None, description="Second text of the pair (sentence-pair runs only).")
        text_pairs: list[str] | None = Field(None, description="Second texts, one per entry of 'texts' (sentence-pair runs only).")

    class Prediction(BaseModel):
        label: str
        score: float
        probabilities: dict[str, float]

    class PredictResponse(BaseModel):
        predictions: list[Prediction]
        model: str

    class Entity(BaseModel):
        start: int
        end: int
        label: str
        text: str
        score: float

    class EntityPrediction(BaseModel):
        entities: list[Entity]

    class EntityResponse(BaseModel):
        """Token-classification (NER) runs: character spans per text."""

        predictions: list[EntityPrediction]
        model: str

    def check_token(request: Request) -> None:
        if options.token is None:
            return
        header = request.headers.get("authorization")
        if not header:
            raise HTTPException(401, "this server needs a token: send 'Authorization: Bearer TOKEN'.", headers={"WWW-Authenticate": "Bearer"})
        scheme, _, given = header.partition(" ")
        if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(), options.token.encode()):
            raise HTTPException(403, "the bearer token is wrong.")

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await batcher.close()

    app = FastAPI(title=f"headstart: {metadata['run_name']}", description="Text classification served by headstart.", lifespan=lifespan)
    app.state.batcher = batcher
    app.add_middleware(BodySizeLimit, limit=options.max_body_bytes)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError) -> JSONResponse:
        errors = err.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse({"detail": "request body is not valid JSON. Send e.g. {\"text\": \"my card never arrived\"}."}, status_code=400)
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body') or 'body'}: {e.get('msg')}" for e in errors)
        return JSONResponse({"detail": f"invalid request ({where}). Send {{\"text\": \"...\"}} or {{\"texts\": [\"...\", ...]}}.", "errors": jsonable_encoder(errors)}, status_code=422)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index() -> str:
        return page

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "model": metadata["run_name"], "format": predictor.format, "token_required": options.token is not None}

    @app.get("/info", dependencies=[Depends(check_token)])
    async def info() -> dict[str, Any]:
        return {**metadata, "labels": predictor.label_names, "format": predictor.format, "max_length": predictor.max_length, "limits": options.limits(), "batching": vars(batcher.stats)}

    @app.get("/report", response_class=PlainTextResponse, dependencies=[Depends(check_token)])
    async def report() -> str:
        card = Path(predictor.path) / "README.md"
        if not card.is_file():
            raise HTTPException(404, "this run has no README.md model card.")
        return card.read_text(encoding="utf-8")

    @app.post("/predict", response_model=EntityResponse if token_run else PredictResponse, dependencies=[Depends(check_token)])
    async def predict(body: PredictRequest) -> dict[str, Any]:
        if (body.text is None) == (body.texts is None):
            raise HTTPException(422, "give exactly one of 'text' (a string) or 'texts' (a list of strings).")
        texts = [body.text] if body.text is not None else list(body.texts or [])
        if not texts:
            raise HTTPException(422, "'texts' is empty; give at least one text.")
        if len(texts) > options.max_texts:
            raise HTTPException(413, f"{len(texts)} texts in one request; the limit is {options.max_texts} (--max-texts). Split the request.")
        for i, text in enumerate(texts):
            if not text.strip():
                raise HTTPException(422, f"text {i} is empty; every text needs at least one non-space character.")
            if len(text) > options.max_text_chars:
                raise HTTPException(413, f"text {i} has {len(text)} characters; the limit is {options.max_text_chars} (--max-text-chars).")
        if not pair_run:
            if body.text_pair is not None or body.text_pairs is not None:
                raise HTTPException(422, "this model classifies single texts; 'text_pair'/'text_pairs' are for sentence-pair models.")
            return {"predictions": await batcher.submit(texts), "model": metadata["run_name"]}
        seconds = [body.text_pair] if body.text is not None else body.text_pairs
        if seconds is None or seconds[0] is None or len(seconds) != len(texts):
            raise HTTPException(422, "this model classifies sentence pairs: send {\"text\": ..., \"text_pair\": ...} or {\"texts\": [...], \"text_pairs\": [...]} of the same length.")
        for i, second in enumerate(seconds):
            if not second.strip():
                raise HTTPException(422, f"text_pair {i} is empty; every second text needs at least one non-space character.")
            if len(second) > options.max_text_chars:
                raise HTTPException(413, f"text_pair {i} has {len(second)} characters; the limit is {options.max_text_chars} (--max-text-chars).")
        return {"predictions": await batcher.submit(list(zip(texts, seconds))), "model": metadata["run_name"]}

    return app


def serve(predictor: Predictor, options: ServeOptions) -> None:
    """Run the server until interrupted."""
    import uvicorn

    uvicorn.run(create_app(predictor, options), host=options.host, port=options.port, log_level="info")
