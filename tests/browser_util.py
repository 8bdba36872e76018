"""Drive headless Chromium over the DevTools protocol through a pipe (no extra packages).

``chromium --remote-debugging-pipe`` reads CDP commands from fd 3 and writes replies to fd 4
(JSON, each message ended by a NUL byte). That needs no websocket client, no port and no
playwright. Used by ``tests/test_browser.py`` and ``benchmarks/bench_viz.py``.

The page gets no network: DNS is mapped to nothing (``--host-resolver-rules``), a dead proxy
is set, and ``Network.emulateNetworkConditions(offline=True)`` is on before navigation. Every
request the page makes is recorded (``Network.requestWillBeSent``), as are console messages,
uncaught exceptions and log entries.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--remote-debugging-pipe",
]


def chromium_path() -> str | None:
    """The Chromium binary (``CHROMIUM`` env var, else the first on PATH), or None."""
    env = os.environ.get("CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    for name in CHROMIUM_CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CDPError(RuntimeError):
    """A DevTools command failed or the browser went away."""


@dataclass
class PageReport:
    """What happened while a page loaded and rendered."""

    url: str
    status: dict[str, str]
    wall_ms: float
    requests: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    screenshot: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[str]:
        """Uncaught exceptions, console.error calls and error-level log entries."""
        out = list(self.exceptions)
        out += [str(c.get("text")) for c in self.console if c.get("type") in {"error", "assert"}]
        out += [str(e.get("text")) for e in self.log_entries if e.get("level") == "error"]
        return out

    @property
    def remote_requests(self) -> list[str]:
        """Requests to anything but file:, data: and about: URLs."""
        return [u for u in self.requests if not u.startswith(("file:", "data:", "about:", "blob:"))]


class Browser:
    """One headless Chromium process with a CDP pipe."""

    def __init__(self, *, width: int = 1280, height: int = 900) -> None:
        exe = chromium_path()
        if exe is None:
            raise FileNotFoundError(
                "headless Chromium not found (Debian: apt-get install chromium); set CHROMIUM=/path to override"
            )
        self.width, self.height = width, height
        self._profile = tempfile.mkdtemp(prefix="lernnetz-chromium-")
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def wire() -> None:  # runs in the child: fd 3 = commands in, fd 4 = replies out
            a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [
                exe,
                *FLAGS,
                f"--user-data-dir={self._profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=wire,  # noqa: PLW1509 - the dup2 must run in the child before exec
            close_fds=False,  # our pipe ends are non-inheritable (PEP 446); only fds 3 and 4 pass
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []

    # ---- protocol
    def _send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self._id += 1
        msg: dict[str, Any] = {"id": self._id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        return self._id

    def _read(self, timeout: float) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if not ready:
                return None
            chunk = os.read(self._from_chrome, 1 << 20)
            if not chunk:
                raise CDPError("Chromium closed the DevTools pipe: " + self._stderr_tail())
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30,
    ) -> dict[str, Any]:
        """Send a command and wait for its reply; events arriving meanwhile go to :attr:`events`."""
        want = self._send(method, params, session)
        deadline = time.monotonic() + timeout
        while True:
            msg = self._read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                raise CDPError(f"{method}: no reply within {timeout:g} s")
            if msg.get("id") == want:
                if "error" in msg:
                    raise CDPError(f"{method}: {msg['error']}")
                result: dict[str, Any] = msg.get("result", {})
                return result
            if "method" in msg:
                self.events.append(msg)

    def pump(self, seconds: float) -> None:
        """Collect events for a while."""
        deadline = time.monotonic() + seconds
        while True:
            msg = self._read(max(0.0, deadline - time.monotonic()))
            if msg is None:
                return
            if "method" in msg:
                self.events.append(msg)

    def _stderr_tail(self) -> str:
        if self.proc.poll() is None or self.proc.stderr is None:
            return "(still running)"
        return self.proc.stderr.read().decode(errors="replace")[-2000:]

    # ---- pages
    def new_page(self) -> str:
        """A fresh tab, offline, with console/log/network recording on; returns its session id."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = str(self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"])
        for method in ("Page.enable", "Runtime.enable", "Log.enable", "Network.enable"):
            self.call(method, session=session)
        self.call(
            "Network.emulateNetworkConditions",
            {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
            session=session,
        )
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": self.width, "height": self.height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        return session

    def evaluate(self, session: str, expression: str, timeout: float = 30) -> Any:
        """Evaluate JS in the page (promises awaited) and return the value."""
        r = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=session,
            timeout=timeout,
        )
        if "exceptionDetails" in r:
            raise CDPError(f"evaluate failed: {r['exceptionDetails']}")
        return r.get("result", {}).get("value")

    def render(
        self, path: Path, *, timeout: float = 60, screenshot: Path | None = None, settle_s: float = 0.3
    ) -> PageReport:
        """Open ``file://path``, wait until the page reports ``data-state=rendered``, collect all."""
        url = path.resolve().as_uri()
        session = self.new_page()
        first_event = len(self.events)
        t0 = time.perf_counter()
        self.call("Page.navigate", {"url": url}, session=session)
        wait = (
            "new Promise((ok) => { const t0 = Date.now(); (function poll() {"
            " const s = document.getElementById('lernnetz-status');"
            " if (s && s.dataset.state === 'rendered') { ok(Object.assign({}, s.dataset)); return; }"
            f" if (Date.now() - t0 > {int(timeout * 1000)}) {{ ok(s ? Object.assign({{}}, s.dataset) : {{}}); return; }}"
            " setTimeout(poll, 5); })(); })"
        )
        status: dict[str, str] = {}
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # the document may not exist yet right after navigate
            try:
                status = self.evaluate(session, wait, timeout=timeout) or {}
                break
            except CDPError:
                time.sleep(0.02)
        wall_ms = (time.perf_counter() - t0) * 1000.0
        self.pump(settle_s)
        report = PageReport(url=url, status={str(k): str(v) for k, v in status.items()}, wall_ms=wall_ms)
        for ev in self.events[first_event:]:
            if ev.get("sessionId") != session:
                continue
            p = ev.get("params", {})
            m = ev.get("method")
            if m == "Network.requestWillBeSent":
                report.requests.append(str(p.get("request", {}).get("url", "")))
            elif m == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
                report.console.append({"type": p.get("type"), "text": text})
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                report.exceptions.append(str(d.get("exception", {}).get("description") or d.get("text")))
            elif m == "Log.entryAdded":
                e = p.get("entry", {})
                report.log_entries.append(
                    {"level": e.get("level"), "text": e.get("text"), "url": e.get("url")}
                )
        if screenshot is not None:
            data = self.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(data))
            report.screenshot = screenshot
        report.extra["session"] = session
        return report

    def render_served(
        self,
        url: str,
        serve: Callable[[str], tuple[int, str, bytes]],
        *,
        ready: str,
        timeout: float = 60,
        screenshot: Path | None = None,
    ) -> PageReport:
        """Open ``url`` with every request answered by ``serve(url) -> (status, content type, body)``.

        Nothing reaches a network: requests are intercepted (``Fetch.enable`` on every URL) and
        fulfilled in-process (e.g. by a FastAPI ``TestClient``); ``serve`` decides what exists.
        All requests are recorded, so a page that wants a CDN shows up in
        :attr:`PageReport.remote_requests`-style checks. ``ready`` is a JS expression that is true
        once the page has drawn what the test looks for.
        """
        session = self.new_page()
        self.call("Fetch.enable", {"patterns": [{"urlPattern": "*"}]}, session=session)
        first_event = len(self.events)
        t0 = time.perf_counter()
        self._send("Page.navigate", {"url": url}, session)  # its reply waits for the intercepted request
        requests: list[str] = []
        deadline = time.monotonic() + timeout
        done = False
        while time.monotonic() < deadline and not done:
            self.pump(0.05)
            for ev in self.events[first_event:]:
                if ev.get("method") == "Fetch.requestPaused" and ev.get("sessionId") == session:
                    p = ev["params"]
                    requests.append(str(p["request"]["url"]))
                    code, ctype, body = serve(str(p["request"]["url"]))
                    self._send(
                        "Fetch.fulfillRequest",
                        {
                            "requestId": p["requestId"],
                            "responseCode": code,
                            "responseHeaders": [{"name": "Content-Type", "value": ctype}],
                            "body": base64.b64encode(body).decode(),
                        },
                        session,
                    )
            self.events = self.events[:first_event] + [
                e for e in self.events[first_event:] if e.get("method") != "Fetch.requestPaused"
            ]
            try:
                done = bool(self.evaluate(session, f"!!({ready})", timeout=5))
            except CDPError:
                done = False
        report = PageReport(
            url=url, status={"ready": str(done).lower()}, wall_ms=(time.perf_counter() - t0) * 1000.0
        )
        report.requests = requests
        for ev in self.events[first_event:]:
            if ev.get("sessionId") != session:
                continue
            p = ev.get("params", {})
            if ev.get("method") == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                report.exceptions.append(str(d.get("exception", {}).get("description") or d.get("text")))
        if screenshot is not None:
            data = self.call("Page.captureScreenshot", {"format": "png"}, session=session)["data"]
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(data))
            report.screenshot = screenshot
        report.extra["session"] = session
        return report

    def close_page(self, session: str) -> None:
        """Close a tab opened by :meth:`render`."""
        target = self.call("Target.getTargetInfo", session=session)["targetInfo"]["targetId"]
        self.call("Target.closeTarget", {"targetId": target})

    def close(self) -> None:
        """Stop this browser (only the process this object started)."""
        with contextlib.suppress(CDPError, OSError):
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for fd in (self._to_chrome, self._from_chrome):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
