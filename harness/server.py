"""`streamlit run app.py` on a free localhost port: the browser tests and the benchmarks start the
app this way."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from harness import warm
from harness.pages import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`streamlit run app.py` on a free localhost port, stopped when the test ends. options are
    extra command-line flags, env extra environment variables (the benchmarks and the class
    server use this class too); log: a file for the server's stderr; warm_up: the app warms
    itself after its first page, as the plain command does (harness.warm.warm_this_process; off
    by default, so that a test's or benchmark's figures are the app's alone)."""

    def __init__(self, *options: str, env: dict[str, str] | None = None,
                 log: Path | None = None, warm_up: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://localhost:{self.port}"
        self.started = time.monotonic()
        # stderr is not piped (a full pipe would stall a busy server): dropped, or written to log
        self.log = log.open("w") if log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(self.port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false", *options],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=self.log,
            env={**os.environ, warm.SWITCH: "1" if warm_up else "0", **(env or {})},
        )
        wait_healthy(self.url, self.stop)
        self.healthy = time.monotonic()

    @property
    def pids(self) -> list[int]:
        return [self.process.pid]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self.log is not subprocess.DEVNULL:
            self.log.close()


def wait_healthy(url: str, give_up, seconds: float = 60) -> None:
    """Until url answers Streamlit's health check; otherwise give_up() and raise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    give_up()
    raise RuntimeError(f"{url} did not answer its health check within {seconds:g} s")

