"""headstart serve: the HTTP API, its limits and token, dynamic batching and the web page."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from deploy_support import TEXTS, tiny_run

from headstart.api import predict_texts
from headstart.deploy.backends import load_predictor
from headstart.deploy.server import ServeOptions, create_app
from headstart.errors import ConfigError

pytest.importorskip("fastapi")
from fastapi.testclient import TestClient  # noqa: E402

TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def predictor(tmp_path_factory):
    return load_predictor(tiny_run(tmp_path_factory))


@pytest.fixture(scope="module")
def client(predictor):
    app = create_app(predictor, ServeOptions(max_text_chars=50, max_texts=4, max_body_bytes=2_000, batch_wait_ms=2))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def locked(predictor):
    with TestClient(create_app(predictor, ServeOptions(token=TOKEN))) as c:
        yield c


def test_predict_one_text_and_a_batch_match_predict_texts(client, predictor):
    expected = predict_texts(predictor, TEXTS[:4])
    one = client.post("/predict", json={"text": TEXTS[0]})
    assert one.status_code == 200
    assert one.json()["predictions"][0]["label"] == expected[0]["label"]
    many = client.post("/predict", json={"texts": TEXTS[:4]}).json()["predictions"]
    assert [p["label"] for p in many] == [e["label"] for e in expected]
    assert many[1]["probabilities"]["positive"] == pytest.approx(expected[1]["probabilities"]["positive"], abs=1e-5)


@pytest.mark.parametrize(
    ("kwargs", "status", "message"),
    [
        ({"content": b'{"text": "unterminated', "headers": {"content-type": "application/json"}}, 400, "not valid JSON"),
        ({"json": {"text": "   "}}, 422, "text 0 is empty"),
        ({"json": {"texts": []}}, 422, "'texts' is empty"),
        ({"json": {"text": "a", "texts": ["b"]}}, 422, "exactly one of 'text'"),
        ({"json": {"texts": "not a list"}}, 422, "invalid request (texts"),
        ({"json": {"texts": ["good"] * 5}}, 413, "the limit is 4 (--max-texts)"),
        ({"json": {"text": "good " * 20}}, 413, "the limit is 50 (--max-text-chars)"),
        ({"content": b'{"text": "' + b"x" * 3000 + b'"}', "headers": {"content-type": "application/json"}}, 413, "limit of 2000 bytes (--max-body-bytes)"),
    ],
)
def test_bad_requests_get_4xx_naming_the_problem(client, kwargs, status, message):
    response = client.post("/predict", **kwargs)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_body_limit_also_holds_without_content_length(client):
    def chunks():
        yield b'{"text": "'
        yield b"x" * 3000
        yield b'"}'

    response = client.post("/predict", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_token_missing_is_401_and_wrong_is_403(locked):
    assert locked.post("/predict", json={"text": "great"}).status_code == 401
    assert locked.post("/predict", json={"text": "great"}).headers["www-authenticate"] == "Bearer"
    wrong = locked.post("/predict", json={"text": "great"}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403 and "token is wrong" in wrong.json()["detail"]
    assert locked.get("/info").status_code == 401
    good = locked.post("/predict", json={"text": "great"}, headers={"Authorization": f"Bearer {TOKEN}"})
    assert good.status_code == 200
    assert locked.get("/health").json()["token_required"] is True


def test_health_info_report_openapi_and_page(client, predictor):
    assert client.get("/health").json()["status"] == "ok"
    info = client.get("/info").json()
    assert info["labels"] == ["negative", "positive"] and info["format"] == "fp32"
    assert info["limits"]["max_texts"] == 4 and info["run_name"] == predictor.path.name
    assert "validation" in info["metrics"]
    assert client.get("/report").text == (predictor.path / "README.md").read_text(encoding="utf-8")
    spec = client.get("/openapi.json").json()
    assert "/predict" in spec["paths"] and "PredictRequest" in str(spec["components"])
    page = client.get("/")
    assert page.status_code == 200 and "negative, positive" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # works offline: nothing fetched from elsewhere


def test_concurrent_requests_share_forward_passes(predictor):
    import httpx

    app = create_app(predictor, ServeOptions(batch_wait_ms=50))

    async def burst() -> list[dict]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            responses = await asyncio.gather(*(http.post("/predict", json={"text": TEXTS[i % len(TEXTS)]}) for i in range(12)))
        return [r.json()["predictions"][0] for r in responses]

    results = asyncio.run(burst())
    expected = predict_texts(predictor, [TEXTS[i % len(TEXTS)] for i in range(12)])
    assert [r["label"] for r in results] == [e["label"] for e in expected]
    stats = app.state.batcher.stats
    assert stats.requests == 12
    assert stats.forward_passes < 12 and stats.largest_batch > 1


def test_serves_compressed_runs_too(predictor, tmp_path):
    from headstart.deploy.compress import CompressOptions, compress_run

    run = tmp_path / "run"
    shutil.copytree(predictor.path, run)
    out = compress_run(run, CompressOptions(int8=True), log=lambda m: None).outputs["int8"]
    with TestClient(create_app(load_predictor(out))) as c:
        body = c.post("/predict", json={"texts": TEXTS}).json()
        assert [p["label"] for p in body["predictions"]] == [p["label"] for p in predict_texts(predictor, TEXTS)]
        assert c.get("/info").json()["format"] == "int8"


def test_invalid_options_are_refused():
    with pytest.raises(ConfigError, match="--max-texts must be at least 1; got 0. --token must have at least 8"):
        ServeOptions(max_texts=0, token="short").validate()


CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture(scope="module")
def browser():
    """Headless Debian chromium driven by Selenium through the system chromedriver (no download)."""
    if not Path(CHROMEDRIVER).exists() or not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()):
        pytest.skip("needs Debian chromium and chromium-driver (apt-get install chromium chromium-driver)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _serving(app):
    import socket
    import threading

    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.05)
    return server, thread, f"http://127.0.0.1:{port}/"


def test_page_in_a_headless_browser_types_submits_and_shows_the_label(browser, predictor):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    server, thread, url = _serving(create_app(predictor, ServeOptions(token=TOKEN)))
    try:
        browser.get(url)
        wait = WebDriverWait(browser, 60)
        browser.find_element(By.ID, "text").send_keys(TEXTS[1])
        browser.find_element(By.ID, "token").send_keys("wrong-token-123")
        browser.find_element(By.ID, "predict").click()
        error = wait.until(lambda d: d.find_element(By.ID, "error").text.strip() or None)
        assert "token is wrong" in error  # the 403's detail is shown to the user
        browser.find_element(By.ID, "token").clear()
        browser.find_element(By.ID, "token").send_keys(TOKEN)
        browser.find_element(By.ID, "predict").click()
        shown = wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, ".prediction"))).text
        expected = predict_texts(predictor, [TEXTS[1]])[0]
        assert shown.startswith(f"{expected['label']} ({expected['score']:.3f})")
    finally:
        server.should_exit = True
        thread.join(10)
