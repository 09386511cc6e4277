"""Every page carries a Content-Security-Policy; production HSTS and file mail follow the env."""

import json
import subprocess
import sys

import pytest

from tests.ownership.factories import TeamFactory, UserFactory


def directives(response) -> dict[str, list[str]]:
    """Parse the response's Content-Security-Policy into {directive: [sources]}."""
    policy = response["Content-Security-Policy"]
    parsed = {}
    for part in policy.split(";"):
        name, *sources = part.split()
        parsed[name] = sources
    return parsed


def assert_strict(response):
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    # Scripts only from this site (and, where a page asks, a per-response nonce): never
    # inline code or eval, whichever directive the browser falls back to.
    for name in ("script-src", "script-src-elem", "script-src-attr", "default-src"):
        for source in policy.get(name, []):
            assert source == "'self'" or source.startswith("'nonce-"), (name, source)
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/components/", "/teams/payments/", "/me/", "/incidents/", "/reports/load/"]
)
def test_portal_pages_carry_the_policy(client, path):
    TeamFactory(slug="payments")
    client.force_login(UserFactory())
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/ownership/component/add/",
        "/admin/rota/rotation/add/",
        "/admin/login/",
    ],
)
def test_admin_pages_carry_the_policy(client, path):
    if path != "/admin/login/":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.django_db
def test_the_api_docs_run_without_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_strict(response)
    html = response.content.decode()
    # The start-up script is a file (?script), not inline, and the page has no <style>.
    assert '<script src="/api/docs/?script="></script>' in html
    assert "<script>" not in html and "<style" not in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"] == "application/javascript"
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.django_db
def test_login_and_api_responses_carry_the_policy(client):
    assert_strict(client.get("/accounts/login/"))
    assert_strict(client.get("/api/schema/"))


@pytest.mark.django_db
def test_no_portal_template_has_inline_script_or_style_blocks():
    # Inline <script>/<style> would be refused by the browser; catch them before it does.
    from django.conf import settings

    offenders = []
    for folder in [settings.BASE_DIR / "templates"]:
        for template in folder.rglob("*.html"):
            if "notifications" in template.parts:
                continue  # e-mail bodies, never served as pages
            text = template.read_text()
            if (
                "<style" in text
                or "<script>" in text
                or "<script " in text.replace("<script src=", "")
            ):
                offenders.append(str(template.relative_to(settings.BASE_DIR)))
    assert offenders == []


def production_settings(env_extra, code):
    """Load the production settings in a fresh interpreter and run code there; return stdout."""
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "DJANGO_SECRET_KEY": "s" * 50,
        "DJANGO_ALLOWED_HOSTS": "rota.example.com",
        "DATABASE_URL": "postgres://rota@db.example.com:5432/rota",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        "EMAIL_URL": "smtp://mail.example.com:25",
        "PATH": "/usr/bin:/bin",
        **env_extra,
    }
    done = subprocess.run(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


HSTS = (
    "from django.conf import settings as s; import json; "
    "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
    "s.SECURE_HSTS_PRELOAD, s.SILENCED_SYSTEM_CHECKS]))"
)


def test_production_hsts_covers_only_this_host_unless_configured():
    seconds, subdomains, preload, silenced = json.loads(production_settings({}, HSTS))
    assert (seconds, subdomains, preload) == (31536000, False, False)
    # check --deploy would warn about both; the choice is deliberate and documented.
    assert silenced == ["security.W005", "security.W021"]


def test_production_hsts_subdomains_and_preload_from_the_environment():
    env = {"DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_SECURE_HSTS_PRELOAD": "true"}
    seconds, subdomains, preload, silenced = json.loads(production_settings(env, HSTS))
    assert (subdomains, preload, silenced) == (True, True, [])


def test_production_hsts_header(settings, db):
    from django.test import Client

    # The header each choice produces on an HTTPS request (the middleware reads the settings
    # when it starts, so each choice gets a new client).
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = False
    settings.SECURE_HSTS_PRELOAD = False
    header = Client().get("/healthz", secure=True)["Strict-Transport-Security"]
    assert header == "max-age=31536000"
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    header = Client().get("/healthz", secure=True)["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains; preload"


def test_production_filemail_writes_to_the_absolute_path(tmp_path):
    mail_dir = tmp_path / "mail"
    code = (
        "from django.conf import settings as s; print(s.EMAIL_FILE_PATH)\n"
        "from django.core.mail import send_mail\n"
        "send_mail('Shift reminder', 'You are on call tomorrow.', None, ['alice@example.com'])\n"
    )
    out = production_settings({"EMAIL_URL": f"filemail://{mail_dir}"}, code)

    # filemail:///abs/path: three slashes, an absolute folder, not one under the working dir.
    assert out.strip() == str(mail_dir)
    (written,) = list(mail_dir.iterdir())
    text = written.read_text()
    assert "Subject: Shift reminder" in text
    assert "To: alice@example.com" in text
    assert "You are on call tomorrow." in text


def test_a_relative_filemail_path_is_under_the_checkout():
    from django.conf import settings

    from portal.settings.base import email_config

    config = email_config("filemail://var/mail")
    assert config["EMAIL_FILE_PATH"] == str(settings.BASE_DIR / "var" / "mail")
    assert email_config("filemail:///srv/rota/mail")["EMAIL_FILE_PATH"] == "/srv/rota/mail"
