import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_documents_the_incidents_api_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    paths = yaml.safe_load(out.read_text())["paths"]
    for path in (
        "/api/v1/incidents/",
        "/api/v1/incidents/{id}/acknowledge/",
        "/api/v1/incidents/{id}/mitigate/",
        "/api/v1/incidents/{id}/resolve/",
        "/api/v1/incidents/{id}/note/",
        "/api/v1/bugs/",
        "/api/v1/integrations/",
        "/api/v1/integrations/{id}/regenerate/",
    ):
        assert path in paths, path
