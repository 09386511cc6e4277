"""A real OpenID Connect provider for the sign-in tests: tests/oidc/provider.mjs under Node.js.

``oidc_provider`` (session scope) starts panva's oidc-provider on a free port of 127.0.0.1
with one client whose redirect URI is the live server's callback, waits for its discovery
document, and stops it at the end. Its people come from a JSON file the tests write
(:meth:`OidcProvider.set_people`), read again at every sign-in.
"""

import json
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

OIDC_DIR = Path(__file__).resolve().parents[1] / "oidc"
SCRIPT = OIDC_DIR / "provider.mjs"
INSTALL = "run `npm ci --prefix tests/oidc` from the repository root (or `make test-deps`)"
CLIENT_ID = "rota-tests"
CLIENT_SECRET = "rota-tests-client-secret"
START_TIMEOUT = 20  # seconds for node to answer its discovery document


@dataclass
class OidcProvider:
    issuer: str
    people_file: Path

    def set_people(self, people: dict) -> None:
        """Make ``people`` ({login: claims}) the provider's directory from the next sign-in on."""
        self.people_file.write_text(json.dumps(people), encoding="utf-8")


def find_node() -> str:
    """Return the path of node; fail (never skip) when node or oidc-provider is missing."""
    path = shutil.which("node")
    if path is None:
        pytest.fail("Node.js (node, v20+) is not on PATH: the OpenID Connect tests need it.")
    package = OIDC_DIR / "node_modules" / "oidc-provider" / "package.json"
    if not package.exists():
        pytest.fail(f"oidc-provider is not installed in tests/oidc/node_modules: {INSTALL}.")
    lock = json.loads((OIDC_DIR / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/oidc-provider"]["version"]
    installed = json.loads(package.read_text())["version"]
    if installed != pinned:
        pytest.fail(f"tests/oidc has oidc-provider {installed}, the lock pins {pinned}: {INSTALL}.")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def oidc_provider(live_server, tmp_path_factory):
    node = find_node()
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    people_file = tmp_path_factory.mktemp("oidc") / "people.json"
    people_file.write_text("{}", encoding="utf-8")
    log_file = people_file.with_name("provider.log")
    env = {
        "PATH": "/usr/bin:/bin",
        "OIDC_TEST_PORT": str(port),
        "OIDC_TEST_USERS": str(people_file),
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_REDIRECT_URI": f"{live_server.url}/accounts/oidc/callback/",
        "OIDC_TEST_POST_LOGOUT_URI": f"{live_server.url}/",  # LOGOUT_REDIRECT_URL
    }
    with log_file.open("w") as log:
        process = subprocess.Popen(  # noqa: S603 - our own script, fixed arguments
            [node, str(SCRIPT)], cwd=OIDC_DIR, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                log = log_file.read_text()
                pytest.fail(f"the OIDC provider exited ({process.returncode}): {log}")
            try:
                answer = requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2)
                if answer.ok and answer.json()["issuer"] == issuer:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                log = log_file.read_text()
                pytest.fail(f"the OIDC provider did not answer in {START_TIMEOUT}s: {log}")
            time.sleep(0.2)
        yield OidcProvider(issuer=issuer, people_file=people_file)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
