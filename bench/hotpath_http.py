"""The hot path over HTTP: gunicorn with one sync worker, the worker's CPU per request.

The worker's CPU is read from ``/proc/<pid>/stat`` (user + system clock ticks) before and
after N requests sent one after another from this process, so the client's own work is not
counted. gunicorn runs without the project's access log (``gunicorn.conf.py``), the same for
every application measured.
"""

import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TICKS = os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _worker_pid(master: int, timeout: float = 30.0) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError("gunicorn started no worker")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _get(port: int, target: str, headers: dict) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", target, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


class Server:
    """gunicorn serving ``app`` ("module:callable") with one sync worker, as a context."""

    def __init__(self, app: str, env: dict):
        self.app, self.env, self.port = app, env, _free_port()

    def __enter__(self):
        self.config = tempfile.NamedTemporaryFile("w", suffix=".py", delete=False)
        self.config.close()
        self.process = subprocess.Popen(  # noqa: S603 - our own gunicorn and arguments
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "-c",
                self.config.name,
                "-w",
                "1",
                "-k",
                "sync",
                "-b",
                f"127.0.0.1:{self.port}",
                self.app,
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.worker = _worker_pid(self.process.pid)
        deadline = time.monotonic() + 60
        while True:
            try:
                _get(self.port, "/", {})
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        return self

    def cpu_us(self, target: str, headers: dict, n: int) -> float:
        """The worker's CPU microseconds per request over ``n`` requests (after 50 warm-ups)."""
        for _ in range(50):
            status = _get(self.port, target, headers)
        if status != 200:
            raise RuntimeError(f"{target} answered {status}")
        before = _cpu_seconds(self.worker)
        for _ in range(n):
            _get(self.port, target, headers)
        return (_cpu_seconds(self.worker) - before) * 1e6 / n

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)
        os.unlink(self.config.name)


def http_figures(*, database_url: str, key: str, rotation: int, n: int = 3000) -> dict:
    """CPU per request of gunicorn's worker: constant app, the reference Django view (reading
    ``rotation``'s shift in force), on-call now, path ownership."""
    env = {"DJANGO_SETTINGS_MODULE": "portal.settings.test", "DATABASE_URL": database_url}
    headers = {"Authorization": f"Token {key}", "Host": "localhost"}
    figures = {}
    with Server("bench.constant_wsgi:application", env) as server:
        figures["constant"] = min(server.cpu_us("/", headers, n) for _ in range(2))
    with Server("bench.reference_wsgi:application", env) as server:
        figures["reference"] = min(
            server.cpu_us(f"/bench/reference/?rotation={rotation}", headers, n // 3)
            for _ in range(2)
        )
    targets = {
        "oncall": "/api/v1/oncall/?component=hot-service-7",
        "ownership": "/api/v1/ownership/?path=/services/hot-7/api/views.py",
    }
    with Server("portal.wsgi:application", env) as server:
        # Each twice, in turn, the best kept: a round may catch the machine busy.
        for _ in range(2):
            for name, target in targets.items():
                value = server.cpu_us(target, headers, n)
                figures[name] = min(figures.get(name, value), value)
    return figures
