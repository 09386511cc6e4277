"""The README's path lookup examples give the documented answers on the demo catalog."""

import json
import re
from pathlib import Path

import pytest

from core.caches import clear_all as clear_caches
from portal.demo import seed as demo
from tests.seed_once import rolled_back_seed

pytestmark = pytest.mark.django_db

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
CATALOG = [
    demo.seed_people,
    demo.seed_teams,
    demo.seed_catalog,
    demo.seed_reorg,
    demo.seed_additions,
]


@pytest.fixture(scope="module")
def demo_catalog(django_db_setup, django_db_blocker):
    """The demo catalog, seeded once for the module (each test's changes are rolled back)."""
    with rolled_back_seed(django_db_blocker, lambda: demo.seed_all(sections=CATALOG)) as seeded:
        yield seeded


@pytest.fixture
def demo_client(demo_catalog, db, make_client):
    clear_caches()
    yield make_client(demo_catalog.users[demo.ENGINEER_USERNAME])
    clear_caches()


def test_every_documented_lookup_answers_on_the_demo_and_the_documented_answer_is_right(
    demo_client,
):
    # The examples in commands (curl), not the endpoint table's placeholder (<path>).
    paths = re.findall(r"curl .*?/api/v1/ownership/\?path=([^\s\"&]+)", README)
    assert len(paths) >= 2, "the README shows the lookup"
    for path in paths:
        answer = demo_client.get("/api/v1/ownership/", {"path": path})
        assert answer.status_code == 200, (path, answer.content)

    # The answer printed under the example is the one the demo gives.
    documented = re.search(
        r"```json\n(\{\"path\": \"services/billing/invoices.*?)```", README, re.S
    )
    expected = json.loads(documented.group(1))
    got = demo_client.get("/api/v1/ownership/", {"path": expected["path"]}).json()
    assert got["matched_pattern"] == expected["matched_pattern"]
    assert got["component"]["slug"] == expected["component"]["slug"]
    assert got["component"]["name"] == expected["component"]["name"]
    assert got["effective_owner_team"] == expected["effective_owner_team"]


def test_the_demo_table_of_path_lookups_is_true(demo_client):
    # Rows: | `path` | matching globs (component) | answer starting with the component name |
    rows = re.findall(r"^\| `(services/[^`]+)` \| (.+?) \| (.+?) \|$", README, re.M)
    assert len(rows) == 3
    for path, globs, answer in rows:
        got = demo_client.get("/api/v1/ownership/", {"path": path}).json()
        assert answer.startswith(got["component"]["name"]), (path, got)
        assert f"`{got['matched_pattern']}` ({got['component']['name']})" in globs, (path, got)


@pytest.mark.parametrize(
    ("query", "component"),
    [("invoices", "Invoicing"), ("billing/api", "Billing"), ("order.proto", "API schemas")],
)
def test_the_documented_portal_searches_find_their_component_in_the_demo(
    client, demo_client, query, component
):
    from django.contrib.auth import get_user_model

    # The README says what each of these finds; the first card is that component.
    assert f"`{query}` finds {component}" in README.replace("\n", " ")
    client.force_login(get_user_model().objects.get(username=demo.ENGINEER_USERNAME))
    html = client.get("/", {"q": query}).content.decode()
    card = html.split('<li class="card lookup">', 1)[1].split("</li>", 1)[0]
    assert f">{component}</a>" in card
