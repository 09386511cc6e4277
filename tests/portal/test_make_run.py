"""make run listens on the loopback interface unless HOST says otherwise, and says so."""

import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

MAKE = shutil.which("make")
SH = shutil.which("sh")


def _sh(command, env=None):
    done = subprocess.run(  # noqa: S603 - a line of this repository's Makefile or Procfile
        [SH, "-c", command], env=env, capture_output=True, text=True, check=False
    )
    return done.stdout


def _plan(*overrides):
    """Return what ``make run`` would execute (make -n runs nothing)."""
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [MAKE, "-n", "run", *overrides], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout


def _web_command(host):
    """Expand the Procfile's web line as honcho would, for ROTA_HOST (None: unset)."""
    line = next(x for x in (ROOT / "Procfile.dev").read_text().splitlines() if x.startswith("web:"))
    env = {"PATH": "/usr/bin:/bin", "ROTA_PORT": "8000"}
    if host is not None:
        env["ROTA_HOST"] = host
    command = line.removeprefix("web:").strip().replace("python manage.py", "echo")
    return _sh(command, env)


def test_the_web_server_listens_on_loopback_by_default():
    assert "ROTA_HOST=127.0.0.1 " in _plan()
    assert _web_command(None).split() == ["runserver", "127.0.0.1:8000"]
    assert _web_command("127.0.0.1").split() == ["runserver", "127.0.0.1:8000"]


def test_host_opens_it_up_and_the_banner_warns_about_debug_and_the_demo_passwords():
    plan = _plan("HOST=0.0.0.0")  # noqa: S104 - what the test is about
    assert "ROTA_HOST=0.0.0.0 " in plan
    assert _web_command("0.0.0.0").split()  # noqa: S104 == ["runserver", "0.0.0.0:8000"]
    warning = next(line for line in plan.splitlines() if "WARNING" in line)
    shown = _sh(warning)
    assert "listening on 0.0.0.0 with DEBUG on and the demo passwords" in shown
    quiet = next(line for line in _plan().splitlines() if "WARNING" in line)
    assert _sh(quiet) == ""


def test_the_banner_promises_no_reminder_of_its_own():
    # The reminder line comes from demo_reminder --if-needed, which arms it or says why not.
    plan = _plan()
    assert "manage.py demo_reminder --if-needed" in plan
    assert "arrives about a minute" not in plan
