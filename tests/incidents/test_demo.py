import pytest

from incidents.demo import INCIDENTS, seed_incidents
from incidents.models import Bug, EscalationPolicy, Incident, Integration
from incidents.selectors import bug_list
from portal.demo import seed as demo


@pytest.mark.django_db
def test_the_demo_history_has_incidents_bugs_and_integrations():
    # The organisation alone, then this section: the longer reports history is another's.
    base = [demo.seed_people, demo.seed_teams, demo.seed_catalog, demo.seed_reorg]
    demo.seed_all(sections=[*base, seed_incidents])

    assert Incident.objects.count() == INCIDENTS + 1
    assert list(Incident.objects.exclude(status="resolved").values_list("status", flat=True)) == [
        "acknowledged"
    ]
    resolved = Incident.objects.filter(status="resolved")
    assert all(i.acknowledged_at <= i.mitigated_at <= i.resolved_at for i in resolved)
    assert not resolved.filter(responding_team__isnull=True).exists()
    assert Incident.objects.filter(postmortem_done=True).exists()
    assert Bug.objects.filter(outcome="").exists()
    assert Bug.objects.filter(outcome="story").exists()
    assert bug_list().filter(overrun=True).exists()
    assert Integration.objects.count() == 2
    assert EscalationPolicy.objects.get().support_policy is None
    assert not Incident.objects.filter(pages__isnull=False).exists()
