"""The demo history comes out the same every time it is seeded (on an empty database)."""

from django.db import transaction

from incidents.models import Incident
from tests.reports.test_history import seed_with_history


def test_the_history_is_the_same_every_time(db):
    runs = []
    for _ in range(2):
        with transaction.atomic():
            seed_with_history()
            runs.append(
                list(
                    Incident.objects.order_by("created_at", "component__slug").values_list(
                        "created_at", "component__slug", "severity", "responder__username",
                        "resolved_at",
                    )
                )
            )  # fmt: skip
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
