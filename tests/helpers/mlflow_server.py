"""A real MLflow tracking server on 127.0.0.1 for the tracker tests: a sqlite backend and an artifact store in a
temporary folder, a free port, bounded waits, and always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_S = 180  # the first start migrates the sqlite schema: tens of seconds on the loaded 2-core sandbox
QUIET = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}  # nothing outside 127.0.0.1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(uri: str) -> bool:
    try:
        with urllib.request.urlopen(f"{uri}/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def stop(server: subprocess.Popen) -> None:
    """The server and its workers (their own process group), politely, then for good."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)


@contextmanager
def mlflow_server(folder: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """(its URI, its process); stopped on the way out whatever happened."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    uri = f"http://127.0.0.1:{port}"
    store, artifacts = f"sqlite:///{folder / 'mlflow.db'}", str(folder / "artifacts")
    command = [
        sys.executable, "-m", "mlflow", "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
        "--backend-store-uri", store, "--artifacts-destination", artifacts,
    ]  # fmt: skip
    log = open(folder / "server.log", "w")  # noqa: SIM115 - closed below, after the server
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **QUIET}, start_new_session=True
    )
    try:
        deadline = time.monotonic() + START_S
        while not answers(uri):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}")
            time.sleep(0.5)
        yield uri, server
    finally:
        stop(server)
        log.close()
