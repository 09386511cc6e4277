"""Property-based conformance of the API to its own OpenAPI schema (``make schemathesis``).

Schemathesis reads ``/api/schema/`` from the WSGI app, generates requests for every operation
and checks that each answer is no 5xx and matches the documented status codes, content types
and response bodies. It runs as a staff manager (``maria.garcia``) of the demo organisation,
loaded once into the test database; every operation's examples run in one transaction that is
rolled back afterwards. It is bounded (a few examples per operation) and left out of the
normal suite by the ``schemathesis`` marker (see pyproject's ``addopts``).
"""

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from portal.demo.seed import MANAGER_USERNAME
from portal.wsgi import application

pytestmark = pytest.mark.schemathesis

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", verbosity=0)


@pytest.fixture(scope="session")
def token(django_db_setup, django_db_blocker):
    from django.contrib.auth import get_user_model

    from portal.tokens import api_token_create

    with django_db_blocker.unblock():
        user = get_user_model().objects.get(username=MANAGER_USERNAME)
        return api_token_create(user=user, name="schemathesis")[1]


schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


REQUESTS = {"sent": 0}


@pytest.fixture(scope="module", autouse=True)
def count_requests(request):
    """Report how many requests the run sent, at its end."""
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        # Past pytest's output capture, which holds what a fixture writes during teardown.
        with capture.global_and_fixture_disabled():
            reporter.write("\n")
            reporter.write_line(f"schemathesis: {REQUESTS['sent']} requests sent")


@pytest.fixture(autouse=True)
def keep_the_connection():
    # The WSGI handler closes the connection after each request, which would end the test's
    # transaction; Django's own test client disconnects these handlers the same way.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=5,
    # No shrinking: a failure is reported as found, which keeps the run to a few minutes.
    phases=[Phase.explicit, Phase.generate],
    # The same requests on every run, so that a red CI run is reproduced by running it again.
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_answers_as_documented(case, token):
    REQUESTS["sent"] += 1  # one per generated case: call_and_validate sends one request
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
