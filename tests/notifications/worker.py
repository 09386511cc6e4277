"""Run real Celery workers for the integration tests, and read what they sent."""

import email
import os
import signal
import subprocess
import sys
import time
import uuid
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Worker:
    """A ``celery worker`` process of its own, in its own process group."""

    def __init__(
        self, *, database: str, broker: str, queue: str, mail_dir: Path, log_dir: Path, **settings
    ):
        self.name = f"rota-test-{uuid.uuid4().hex[:8]}@localhost"
        self.log_path = log_dir / f"{self.name.split('@')[0]}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.notifications.worker_settings",
            "ROTA_TEST_DATABASE_NAME": database,
            "ROTA_TEST_BROKER_URL": broker,
            "ROTA_TEST_QUEUE": queue,
            "ROTA_TEST_MAIL_DIR": str(mail_dir),
            **{f"ROTA_TEST_{name.upper()}": str(value) for name, value in settings.items()},
        }
        self.queue = queue
        self.process = None

    def start(self, timeout: float = 60) -> "Worker":
        command = [
            sys.executable, "-m", "celery", "-A", "portal", "worker",
            "--queues", self.queue, "--hostname", self.name,
            "--pool", "prefork", "--concurrency", "2",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
            "--loglevel", "INFO",
        ]  # fmt: skip
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        wait_for(
            lambda: self.process.poll() is not None or " ready." in self.log(),
            timeout=timeout,
            what=f"worker {self.name} to start",
        )
        if self.process.poll() is not None:
            raise AssertionError(f"The worker exited at start:\n{self.log()[-4000:]}")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """Kill the worker and its pool processes at once, as a crash would (SIGKILL)."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker: warm shutdown first, then SIGKILL if it lingers."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


def mail_in(folder: Path) -> list:
    """Return the e-mails Django's file backend wrote into ``folder``, oldest first."""
    found = []
    for path in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime_ns):
        for chunk in path.read_bytes().split(b"-" * 79 + b"\n"):
            if chunk.strip():
                found.append(email.message_from_bytes(chunk, policy=policy.default))
    return found
