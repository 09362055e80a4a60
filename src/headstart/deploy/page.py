"""The web page ``serve`` shows at ``/``: self-contained (no CDN, no network), plain JavaScript."""

from __future__ import annotations

import html

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>__TITLE__ · headstart</title>
<style>
  body { font: 15px/1.45 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  textarea { width: 100%; min-height: 6rem; font: inherit; padding: .5rem; box-sizing: border-box; }
  button { font: inherit; padding: .4rem 1.1rem; margin-top: .5rem; cursor: pointer; }
  .row { display: grid; grid-template-columns: 12rem 1fr 4rem; gap: .5rem; align-items: center; margin: .2rem 0; }
  .bar { background: #e5e5ea; height: .9rem; border-radius: .2rem; overflow: hidden; }
  .fill { background: #0a84ff; height: 100%; }
  .top .fill { background: #30d158; }
  #error { color: #c00; white-space: pre-wrap; }
  #token-box { display: none; margin-bottom: .5rem; }
  pre { white-space: pre-wrap; background: #f5f5f7; padding: .75rem; font-size: 13px; }
  small { color: #6e6e73; }
</style>
</head>
<body>
<h1>__TITLE__</h1>
<p><small>labels: __LABELS__ · format: __FORMAT__ · <a href="/docs">API docs</a></small></p>
<div id="token-box"><label>Bearer token <input id="token" type="password" autocomplete="off"></label></div>
<label for="text">Text to classify (one per line for several)</label>
<textarea id="text" placeholder="Type a text and press Predict"></textarea>
<button id="predict" type="button">Predict</button>
<div id="error" role="alert"></div>
<div id="result" aria-live="polite"></div>
<details id="report-box"><summary>Model report</summary><pre id="report">loading…</pre></details>
<script>
const TOKEN_REQUIRED = __TOKEN_REQUIRED__;
if (TOKEN_REQUIRED) document.getElementById("token-box").style.display = "block";
function headers() {
  const h = {"Content-Type": "application/json"};
  const token = document.getElementById("token").value;
  if (token) h["Authorization"] = "Bearer " + token;
  return h;
}
function row(label, p, top) {
  const div = document.createElement("div");
  div.className = "row" + (top ? " top" : "");
  const name = document.createElement("span"); name.textContent = label;
  const bar = document.createElement("div"); bar.className = "bar";
  const fill = document.createElement("div"); fill.className = "fill"; fill.style.width = (100 * p).toFixed(1) + "%";
  bar.appendChild(fill);
  const value = document.createElement("span"); value.textContent = p.toFixed(3);
  div.append(name, bar, value);
  return div;
}
async function predict() {
  const texts = document.getElementById("text").value.split("\\n").map(t => t.trim()).filter(t => t);
  const out = document.getElementById("result"), err = document.getElementById("error");
  out.textContent = ""; err.textContent = "";
  if (!texts.length) { err.textContent = "Type a text first."; return; }
  try {
    const response = await fetch("/predict", {method: "POST", headers: headers(), body: JSON.stringify({texts})});
    const body = await response.json();
    if (!response.ok) { err.textContent = response.status + ": " + (body.detail || JSON.stringify(body)); return; }
    body.predictions.forEach((p, i) => {
      const h = document.createElement("h3"); h.className = "prediction"; h.textContent = p.label + " (" + p.score.toFixed(3) + ")";
      const quote = document.createElement("p"); quote.textContent = texts[i];
      out.append(h, quote);
      Object.entries(p.probabilities).sort((a, b) => b[1] - a[1]).forEach(([label, q]) => out.appendChild(row(label, q, label === p.label)));
    });
  } catch (e) { err.textContent = "request failed: " + e; }
}
document.getElementById("predict").addEventListener("click", predict);
document.getElementById("report-box").addEventListener("toggle", async () => {
  const r = await fetch("/report", {headers: headers()});
  document.getElementById("report").textContent = r.ok ? await r.text() : "report unavailable (" + r.status + ")";
}, {once: true});
</script>
</body>
</html>
"""


def render_page(title: str, labels: list[str], fmt: str, token_required: bool) -> str:
    """The page with the run's name, labels and whether a token must be typed."""
    shown = ", ".join(labels[:20]) + (f" … ({len(labels)} in all)" if len(labels) > 20 else "")
    return (
        PAGE.replace("__TITLE__", html.escape(title))
        .replace("__LABELS__", html.escape(shown))
        .replace("__FORMAT__", html.escape(fmt))
        .replace("__TOKEN_REQUIRED__", "true" if token_required else "false")
    )
