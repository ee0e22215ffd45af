"""Screenshots of every page of the app, for looking at it without a desktop. Run by hand:

    python scripts/screenshots.py                 # PNGs into screenshots/ (git-ignored)
    POLICY_KB_VAR=/tmp/kb python scripts/screenshots.py --port 8600

Starts ``streamlit run app.py`` headless (with the environment as given, so POLICY_KB_* apply),
waits until it answers, has headless Chromium (/usr/bin/chromium; Debian: apt-get install
chromium fonts-noto-cjk) render each page until the app has finished it, then stops the app. The
ask page gets its question through the address (?q=…), which the app reads.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import quote

from websockets.sync.client import connect  # a Streamlit dependency

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"

# (file name, page address with its query)
SHOTS = (
    ("01-ask", "ask", {}),
    ("02-ask-who", "ask", {"q": "特岗计划谁负责？"}),
    ("03-ask-unit", "ask", {"q": "局人事科负责哪些任务？"}),
    ("04-ask-leader", "ask", {"q": "李祖习分管什么？"}),
    ("05-ask-docnum", "ask", {"q": "鄂教财〔2021〕1号是什么文件？哪些文件引用了它？"}),
    ("06-ask-search", "ask", {"q": "过渡期几年？"}),
    ("07-ask-province", "ask", {"q": "湖北省美育教师培训由哪个部门负责？"}),
    ("08-matrix", "matrix", {}),
    ("09-documents", "documents", {"doc": "咸市教〔2021〕14号"}),
    ("10-documents-cited", "documents", {"doc": "鄂教财〔2021〕1号"}),
    ("11-add", "add", {}),
    ("12-lineage", "lineage", {"doc": "闽政办〔2016〕69号"}),
    ("13-lineage-carriers", "lineage", {"doc": "国办发〔2015〕71号", "item": "四、（十三）"}),
    ("14-ask-implementations", "ask", {"q": "国办71号文的“配齐美育教师”，各省是怎么落实的"}),
    ("15-ask-lineage", "ask", {"q": "鄂政办发〔2016〕32号的（十三）对应国家哪条要求"}),
)


def url(port: int, page: str, query: dict[str, str]) -> str:
    address = f"http://localhost:{port}/{page}"
    if query:
        address += "?" + "&".join(f"{k}={quote(v)}" for k, v in query.items())
    return address


def wait_until_up(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"streamlit did not answer on port {port} within {timeout:.0f} s")


class Browser:
    """Headless Chromium driven over the DevTools protocol.

    ``chromium --screenshot --virtual-time-budget=…`` alone photographs Streamlit's loading
    skeleton: virtual time only waits for resource loads, and the page arrives over a websocket.
    So the page is opened, watched until the app's script has finished, then photographed."""

    def __init__(self, width: int = 1400, height: int = 1800) -> None:
        self.width, self.height = width, height
        self.profile = tempfile.TemporaryDirectory(prefix="chromium-")
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
                f"--user-data-dir={self.profile.name}",
                f"--window-size={width},{height}",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.connection = ExitStack()
        self.socket = self.connection.enter_context(connect(self._page_socket(), max_size=None))
        self.next_id = 0
        self.call("Page.enable")
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=False,
        )

    def _page_socket(self) -> str:
        port_file = Path(self.profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not port_file.exists() or not port_file.read_text().strip():
            if time.monotonic() > deadline:
                raise SystemExit("chromium did not open its DevTools port")
            time.sleep(0.2)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as reply:
            targets = json.load(reply)
        return next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")

    def call(self, method: str, **params: object) -> dict:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> object:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def shoot(self, address: str, target: Path, timeout: float) -> None:
        self.call("Page.navigate", url=address)
        time.sleep(1.0)  # let the old page go before looking for the new one's state
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.evaluate(
                "(document.querySelector('[data-testid=\"stApp\"]') || {}).dataset"
                " ? document.querySelector('[data-testid=\"stApp\"]').dataset.testScriptState"
                " : null"
            )
            if state == "notRunning":
                break
            time.sleep(0.5)
        time.sleep(1.5)  # fonts, icons and the last layout pass
        shot = self.call("Page.captureScreenshot", format="png")
        target.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        self.connection.close()
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=15)
        self.profile.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--out", type=Path, default=ROOT / "screenshots")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait per page")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    args.out.mkdir(parents=True, exist_ok=True)
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(args.port),
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
            "--client.toolbarMode",
            "viewer",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so stopping it stops its children
    )
    try:
        started = time.monotonic()
        wait_until_up(args.port, app, timeout=120)
        print(f"app up after {time.monotonic() - started:.1f} s")
        browser = Browser()
        try:
            for name, page, query in SHOTS:
                target = args.out / f"{name}.png"
                browser.shoot(url(args.port, page, query), target, args.timeout)
                print(target)
        finally:
            browser.close()
    finally:
        os.killpg(app.pid, signal.SIGTERM)
        try:
            app.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
