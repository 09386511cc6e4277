"""The embedded broker of make run: it makes its own folders, and pages go to their queue."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PUBLISH = """
import django
django.setup()
from incidents.queue import publish_page
from notifications.queue import publish_sends
print(publish_page(1))
publish_sends([2])
"""


def test_a_fresh_checkout_publishes_to_the_embedded_broker_without_making_folders(tmp_path):
    broker = tmp_path / "nothing-here-yet" / "broker"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CELERY_", "DJANGO_", "ROTA_"))
    }
    env.update(DJANGO_SETTINGS_MODULE="portal.settings.local", ROTA_BROKER_DIR=str(broker))
    done = subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-c", PUBLISH],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"  # the broker took the page
    # One message per queue: the page on "pages", the reminder on Celery's default queue
    # (kombu's filesystem transport names each file after its queue).
    queues = sorted(path.name.split(".")[-2] for path in (broker / "queue").iterdir())
    assert queues == ["celery", "pages"]
    assert (broker / "control").is_dir()
