"""Take the README's screenshots of the main portal pages.

Loads the demo organisation (with its rota and incidents) into a temporary SQLite database,
serves the portal from this process, and has the system Chromium (Debian's package, driven by
Playwright as in the browser tests) save PNGs of the pages to docs/screenshots/, shrunk by
optipng where it is installed:

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME ...]
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TALL = {"width": 1280, "height": 1180}
ENGINEER = "alice.martin"


def configure(database: Path) -> None:
    """Point Django at a fresh database and keep mail and tasks in memory."""
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ["EMAIL_URL"] = "memorymail://"
    os.environ["DJANGO_DEBUG"] = "false"
    os.environ["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1"
    static = database.parent / "static"  # collected files are not needed: served from the apps
    static.mkdir(exist_ok=True)
    os.environ["DJANGO_STATIC_ROOT"] = str(static)
    # Playwright's sync API runs an event loop in this thread; the ORM calls made here while
    # it runs are plain synchronous reads.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

    import django

    django.setup()


def load_demo():
    from django.core.management import call_command

    from tests.browser.demo import seed_portal_demo

    call_command("migrate", verbosity=0, interactive=False)
    return seed_portal_demo()


def serve() -> str:
    """Serve the portal (and its static files) on a free local port; return its URL."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(StaticFilesHandler(get_wsgi_application()))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_port}"


def shoot(base_url: str, out: Path, only=()) -> list[Path]:
    from playwright.sync_api import sync_playwright

    from incidents.models import Incident
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD

    incident = Incident.objects.filter(status=Incident.Status.TRIGGERED).order_by("-pk").first()
    pages = [
        ("now", DESKTOP, "/?q=checkout", None),
        ("my-rota", DESKTOP, "/me/", None),
        ("team", DESKTOP, "/teams/payments/?weeks=4", "#rota"),
        ("incident", DESKTOP, f"/incidents/{incident.pk}/", None),
        ("catalog", DESKTOP, "/components/", None),
        ("phone-now", PHONE, "/?q=billing", None),
        ("comparison", TALL, "/reports/model-comparison/?first_line=without", "#decision"),
    ]
    pages = [page for page in pages if not only or page[0] in only]
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, viewport, path, anchor in pages:
            context = browser.new_context(
                viewport=viewport,
                base_url=base_url,
                device_scale_factor=1,
                is_mobile=viewport is PHONE,
                has_touch=viewport is PHONE,
            )
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill(ENGINEER)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/")
            page.goto(path)
            if anchor:
                page.locator(anchor).evaluate("element => element.scrollIntoView()")
                page.evaluate("window.scrollBy(0, -24)")
            target = out / f"{name}.png"
            page.screenshot(path=str(target))
            written.append(target)
            context.close()
        browser.close()
    return written


def optimise(paths: list[Path]) -> None:
    """Shrink the PNGs losslessly where optipng (Debian package optipng) is installed."""
    optipng = shutil.which("optipng")
    if optipng is None:
        print("optipng is not installed; the PNGs are left as Chromium wrote them")
        return
    subprocess.run([optipng, "-quiet", "-o2", "-strip", "all", *map(str, paths)], check=True)  # noqa: S603


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--only", nargs="*", default=(), help="names of the pages to take")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        configure(Path(tmp) / "screenshots.sqlite3")
        load_demo()
        written = shoot(serve(), args.out, set(args.only))
    optimise(written)
    for path in written:
        size = path.stat().st_size // 1024
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({size} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
