"""Bug history from Jira (CSV export) and GitHub (issues JSON), through the import_bugs command.

The organisation (worked out on paper): teams Pay and Shop. Components, all entered on
1 January 2025: Payments API (``payments-api``, Pay), Checkout (``checkout``, Shop until a re-org
on 20 March 2025 00:00 UTC, Pay since) and Web shop (``web``, Shop). The mapping file
(samples/bug_mapping.yaml) maps Jira's "Payments" and "Checkout UI" and GitHub's "area:web" label,
and adds the label "customer-impact" as SEV2.

samples/jira_bugs.csv, exported in Europe/London (line 1 the header; PAY-101's description
spans lines 2-3):

- line 2, PAY-101: 12/Mar/25 3:04 PM GMT = 15:04 UTC; resolved 14 Mar 10:30 UTC; High = SEV2;
  payments-api; pay; Fixed = fixed.
- line 4, PAY-102: 30/Mar/25 9:15 AM, BST since 01:00 UTC that day = 08:15 UTC; resolved
  31 Mar 16:00 BST = 15:00 UTC; Highest = SEV1; payments-api; pay; Won't Do = wont_fix.
- line 5, CHK-7: 18/Mar/25 11:00 AM = 11:00 UTC; resolved 19 Mar 09:00; Medium (SEV3) and
  label customer-impact (SEV2): the worse, SEV2; checkout; shop (before the re-org);
  Duplicate = wont_fix.
- line 6, CHK-9: 2/Apr/25 2:45 PM BST = 13:45 UTC; open; Low = SEV4; checkout; pay (after).
- line 7, WEB-3: 26/Oct/25 1:30 AM, in the hour London repeats: the first, still BST = 00:30
  UTC; resolved 27 Oct 09:00 GMT; Medium = SEV3; "Legacy UI" maps to nothing, "Web shop" is
  web's name: web; shop; Done = fixed.
- line 8, WEB-4: "Legacy UI" only: not imported, reported.
- line 9, PAY-110: a Story: not imported, reported.

samples/github_issues.json (acme/shop): #41 web (area:web), P1 -> SEV2, fixed, 1 Apr 08:00 to
2 Apr 16:30, Shop; #42 a pull request: skipped; #43 payments-api (label "payments"), SEV3, open,
3 Apr 12:00, Pay; #44 checkout (label = slug), sev1 -> SEV1, not_planned -> wont_fix, 5 Apr
09:00 to 6 Apr 10:00, Pay (after the re-org); #45 (item 4) label "question" only: not imported.
"""

import datetime
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse

from importers.base import execute
from importers.registry import IMPORTERS
from incidents.models import Bug
from notifications.models import Delivery
from notifications.services import notifications_scan
from ownership import services as ownership
from tests.incidents.factories import BugFactory
from tests.ownership.factories import ComponentFactory, MembershipFactory, TeamFactory
from tests.rota.factories import RotationFactory, SprintCalendarFactory

SAMPLES = Path(__file__).parent / "samples"
JIRA = str(SAMPLES / "jira_bugs.csv")
GITHUB = str(SAMPLES / "github_issues.json")
MAPPING = str(SAMPLES / "bug_mapping.yaml")
UTC = datetime.UTC


def utc(month, day, hour, minute=0):
    return datetime.datetime(2025, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def org(db):
    pay = TeamFactory(slug="pay", name="Pay")
    shop = TeamFactory(slug="shop", name="Shop")
    entered = utc(1, 1, 0)
    ComponentFactory(slug="payments-api", name="Payments API", owner_team=pay, at=entered)
    checkout = ComponentFactory(slug="checkout", name="Checkout", owner_team=shop, at=entered)
    ComponentFactory(slug="web", name="Web shop", owner_team=shop, at=entered)
    ownership.component_update(component=checkout, owner_team=pay, at=utc(3, 20, 0))
    return {"pay": pay, "shop": shop}


def run(fmt, path, *args):
    out = []

    class Sink:
        def write(self, text):
            out.append(text)

        def flush(self):
            pass

    call_command("import_bugs", fmt, path, "--mapping", MAPPING, *args, stdout=Sink())
    return "".join(out)


def bugs(source):
    return {
        b.source_id: (
            b.severity, b.component.slug, b.team.slug if b.team else None, b.created_at,
            b.closed_at, b.outcome,
        )
        for b in Bug.objects.filter(source=source).select_related("component", "team")
    }  # fmt: skip


def test_jira_csv_is_imported_with_severities_components_teams_and_london_times(org):
    output = run("jira", JIRA, "--timezone", "Europe/London")

    assert bugs("jira") == {
        "PAY-101": ("SEV2", "payments-api", "pay", utc(3, 12, 15, 4), utc(3, 14, 10, 30), "fixed"),
        "PAY-102": ("SEV1", "payments-api", "pay", utc(3, 30, 8, 15), utc(3, 31, 15), "wont_fix"),
        "CHK-7": ("SEV2", "checkout", "shop", utc(3, 18, 11), utc(3, 19, 9), "wont_fix"),
        "CHK-9": ("SEV4", "checkout", "pay", utc(4, 2, 13, 45), None, ""),
        "WEB-3": ("SEV3", "web", "shop", utc(10, 26, 0, 30), utc(10, 27, 9), "fixed"),
    }
    pay101 = Bug.objects.get(source="jira", source_id="PAY-101")
    assert pay101.title == "Refund webhook retried twice"
    assert pay101.description == "The refund webhook fired twice.\nSeen on two test accounts."
    assert "created: 5 bug" in output
    assert (
        'not imported: line 8 (WEB-4): component "Legacy UI" is no Rota component: map it under '
        '"components" in the mapping file' in output
    )
    assert 'not imported: line 9 (PAY-110): Issue Type "Story" is not a bug type' in output
    assert output.index("line 8 (WEB-4)") < output.index("line 9 (PAY-110)")  # in file order
    # Imported history tells nobody: no mail, no chat webhook (Django's test runner keeps
    # outgoing requests out, and the notifications scanner has no delivery to make).
    assert mail.outbox == []
    assert Delivery.objects.count() == 0


def test_jira_times_are_read_in_the_site_zone_without_the_option(org, settings):
    settings.TIME_ZONE = "America/New_York"
    run("jira", JIRA)

    # 12/Mar/25 3:04 PM in New York (EDT, UTC-4, since 9 March) is 19:04 UTC.
    assert Bug.objects.get(source_id="PAY-101").created_at == utc(3, 12, 19, 4)


def test_github_issues_are_imported_and_pull_requests_skipped(org):
    output = run("github", GITHUB)

    assert bugs("github") == {
        "acme/shop#41": ("SEV2", "web", "shop", utc(4, 1, 8), utc(4, 2, 16, 30), "fixed"),
        "acme/shop#43": ("SEV3", "payments-api", "pay", utc(4, 3, 12), None, ""),
        "acme/shop#44": ("SEV1", "checkout", "pay", utc(4, 5, 9), utc(4, 6, 10), "wont_fix"),
    }
    assert not Bug.objects.filter(source_id="acme/shop#42").exists()
    assert "#42" not in output
    assert (
        'not imported: item 4 (#45): no component, and no label ("question") names a Rota '
        "component" in output
    )
    bug = Bug.objects.get(source_id="acme/shop#41")
    assert bug.ticket_url == "https://github.com/acme/shop/issues/41"
    assert mail.outbox == []


def test_a_second_import_updates_instead_of_duplicating(org):
    run("jira", JIRA, "--timezone", "Europe/London")
    run("github", GITHUB)
    assert Bug.objects.count() == 8

    again = run("jira", JIRA, "--timezone", "Europe/London")
    assert Bug.objects.count() == 8
    assert "unchanged: 5 bug" in again and "created:" not in again

    # Edited in Rota since, source unchanged: the edit stays (the source row decides).
    Bug.objects.filter(source_id="CHK-9").update(severity="SEV1", title="Edited")
    third = run("jira", JIRA, "--timezone", "Europe/London")
    assert "unchanged: 5 bug" in third and "updated:" not in third
    assert Bug.objects.get(source_id="CHK-9").severity == "SEV1"
    assert Bug.objects.count() == 8


def test_a_changed_source_bug_is_updated_but_never_reopened(org, tmp_path):
    header = "Issue key,Summary,Issue Type,Priority,Resolution,Created,Resolved,Component/s\n"
    first = tmp_path / "first.csv"
    first.write_text(header + "OPS-1,Slow page,Bug,Low,,1/Feb/25 9:00 AM,,Payments\n")
    run("jira", str(first), "--timezone", "UTC")
    # Closed in Rota as won't fix at 3 Feb 12:00 UTC.
    closed_at = utc(2, 3, 12)
    Bug.objects.filter(source_id="OPS-1").update(outcome="wont_fix", closed_at=closed_at)

    # The source raised the priority (Low -> High = SEV2) but still has the bug open: the
    # severity follows the source, Rota's closing stays.
    second = tmp_path / "second.csv"
    second.write_text(header + "OPS-1,Slow page,Bug,High,,1/Feb/25 9:00 AM,,Payments\n")
    assert "updated: 1 bug" in run("jira", str(second), "--timezone", "UTC")
    bug = Bug.objects.get(source_id="OPS-1")
    assert (bug.severity, bug.outcome, bug.closed_at) == ("SEV2", "wont_fix", closed_at)

    # Then fixed at the source on 4 Feb 10:00: the source's outcome and time are taken.
    third = tmp_path / "third.csv"
    third.write_text(
        header + "OPS-1,Slow page,Bug,High,Fixed,1/Feb/25 9:00 AM,4/Feb/25 10:00 AM,Payments\n"
    )
    assert "updated: 1 bug" in run("jira", str(third), "--timezone", "UTC")
    bug.refresh_from_db()
    assert (bug.outcome, bug.closed_at) == ("fixed", utc(2, 4, 10))


def test_a_dry_run_lists_what_it_would_do_and_writes_nothing(org):
    output = run("jira", JIRA, "--timezone", "Europe/London", "--dry-run")

    assert Bug.objects.count() == 0
    assert (
        'would create bug PAY-102 "Card payments fail for 3-D Secure v1" on payments-api, '
        "SEV1, wont_fix" in output
    )
    assert "would create: 5 bug" in output
    assert "line 8 (WEB-4)" in output

    run("jira", JIRA, "--timezone", "Europe/London")
    # Imported before fingerprints were kept (none stored) and edited since: the source's
    # values would be put back, but the dry run writes nothing.
    Bug.objects.filter(source_id="PAY-101").update(severity="SEV4", source_hash="")
    dry = run("jira", JIRA, "--timezone", "Europe/London", "--dry-run")
    assert "would update: 1 bug" in dry
    assert Bug.objects.get(source_id="PAY-101").severity == "SEV4"


def test_imported_bugs_stay_out_of_the_triage_queue(org, user_client):
    run("jira", JIRA, "--timezone", "Europe/London")
    response = user_client.get(reverse("bug-list"), {"triage_queue": "pay"})

    # CHK-9 is open and Pay's, but its triage happens in Jira.
    assert response.status_code == 200
    assert response.json()["count"] == 0
    listed = user_client.get(reverse("bug-list"), {"source": "jira", "open": "true"}).json()
    assert [(b["source_id"], b["source"]) for b in listed["results"]] == [("CHK-9", "jira")]


def test_errors_name_the_line_or_item(org, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "Issue key,Summary,Issue Type,Created,Resolved,Component/s\n"
        "OPS-1,Fine,Bug,1/Feb/25 9:00 AM,,Payments\n"
        "OPS-2,Bad date,Bug,31/Feb/25 9:00 AM,,Payments\n"
        "OPS-3,Closed before opened,Bug,3/Feb/25 9:00 AM,2/Feb/25 9:00 AM,Payments\n"
        "OPS-4,Typed 99 for 25,Bug,1/Feb/99 9:00 AM,,Payments\n"
    )
    output = run("jira", str(bad))
    assert 'line 3 (OPS-2): Created: "31/Feb/25 9:00 AM" is not a Jira time' in output
    assert "line 4 (OPS-3): closed before it was created" in output
    assert "line 5 (OPS-4): created_at: Give a date between 2000-01-01 and 2100-12-31" in output
    assert list(Bug.objects.values_list("source_id", flat=True)) == ["OPS-1"]

    no_key = tmp_path / "notjira.csv"
    no_key.write_text("Key,Title\nA-1,x\n")
    with pytest.raises(CommandError, match="line 1: no column Issue key, Summary, Created"):
        run("jira", str(no_key))

    not_list = tmp_path / "issue.json"
    not_list.write_text('{"number": 1}')
    with pytest.raises(CommandError, match="expected the list GET /repos/"):
        run("github", str(not_list))

    with pytest.raises(CommandError, match='timezone: "Mars/Base" is no IANA time zone'):
        run("jira", JIRA, "--timezone", "Mars/Base")

    bad_mapping = tmp_path / "mapping.json"
    bad_mapping.write_text('{"components": {"Payments": "nowhere"}}')
    with pytest.raises(CommandError, match='"Payments" maps to "nowhere", which is no Rota'):
        call_command("import_bugs", "jira", JIRA, "--mapping", str(bad_mapping))
    assert Bug.objects.count() == 1


def test_problems_are_listed_in_line_order(org, tmp_path):
    # Line 2 cannot be placed (found when saving), line 3 is a Story and line 4 has a bad
    # date (both found when reading, before saving): listed 2, 3, 4 all the same.
    bad = tmp_path / "order.csv"
    bad.write_text(
        "Issue key,Summary,Issue Type,Created,Resolved,Component/s\n"
        "OPS-1,Nowhere,Bug,1/Feb/25 9:00 AM,,Legacy UI\n"
        "OPS-2,A story,Story,1/Feb/25 9:00 AM,,Payments\n"
        "OPS-3,Bad date,Bug,31/Feb/25 9:00 AM,,Payments\n"
    )
    lines = [line for line in run("jira", str(bad)).splitlines() if "not imported" in line]
    assert [line.split(":")[1].strip() for line in lines] == [
        "line 2 (OPS-1)",
        "line 3 (OPS-2)",
        "line 4 (OPS-3)",
    ]


def test_paginated_github_output_is_read_whole(org, tmp_path):
    # `gh api --paginate` writes one page's list after another.
    text = (SAMPLES / "github_issues.json").read_text()
    pages = tmp_path / "pages.json"
    issue_43 = '  {\n    "url": "https://api.github.com/repos/acme/shop/issues/43"'
    pages.write_text(text.replace("  },\n" + issue_43, "  }\n]\n[\n" + issue_43))
    assert pages.read_text().count("]\n[") == 1
    run("github", str(pages))
    assert Bug.objects.filter(source="github").count() == 3


def test_imported_open_bugs_never_reach_the_triage_agenda(org):
    # Pay meets on Mondays 10:00 London; the agenda is due on Monday 7 April 2025 at 08:00
    # BST (07:00 UTC). Pay's only undecided bugs are imported ones (CHK-9, #43).
    pay = org["pay"]
    ownership.team_update(team=pay, triage_day="monday", triage_time=datetime.time(10, 0))
    MembershipFactory(team=pay, user__username="lena", role="lead")
    run("jira", JIRA, "--timezone", "Europe/London")
    run("github", GITHUB)
    enqueued = []
    notifications_scan(now=utc(4, 7, 7), enqueue=enqueued.extend)
    assert Delivery.objects.filter(kind=Delivery.Kind.TRIAGE).count() == 0

    # A bug filed in Rota the same week is on the agenda (the check above can fail).
    BugFactory(component=pay.owned_components.first(), team=pay, created_at=utc(4, 4, 9))
    notifications_scan(now=utc(4, 7, 7, 5), enqueue=enqueued.extend)
    assert Delivery.objects.filter(kind=Delivery.Kind.TRIAGE).count() == 1
    assert mail.outbox == []


def test_both_importers_are_registered_for_the_admin_page(org):
    assert IMPORTERS["jira-bugs"].kind == "history"
    assert IMPORTERS["github-bugs"].kind == "history"
    # As the admin page runs them: options as a dict, a progress callback. Six rows are bugs
    # (PAY-110 is a Story), so progress counts to six.
    calls = []
    report = execute(
        IMPORTERS["jira-bugs"].run,
        (SAMPLES / "jira_bugs.csv").read_bytes(),
        source="jira-bugs",
        options={"timezone": "Europe/London", "mapping": {"components": {"Legacy UI": "web"}}},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(n, 6) for n in range(1, 7)]
    # Without the sample mapping, "Payments" and "Checkout UI" name no component; "Legacy UI"
    # is now web. Imported: CHK-7 (its label "checkout" is a slug), WEB-3, WEB-4. Reported:
    # PAY-101, PAY-102, CHK-9 and the Story.
    assert report.created == {"bug": 3}
    assert [p.where for p in report.problems] == [
        "line 2 (PAY-101)", "line 4 (PAY-102)", "line 6 (CHK-9)", "line 9 (PAY-110)",
    ]  # fmt: skip
    report = execute(
        IMPORTERS["github-bugs"].run, b"[]", source="github-bugs", options={}, dry_run=True
    )
    assert report.summary_lines() == ["nothing to import"]


@pytest.fixture
def comparison_org(org):
    """Sprints of two weeks from Monday 10 March 2025 (UTC); each team has a weekly rotation."""
    SprintCalendarFactory(timezone="UTC", start_date=datetime.date(2025, 3, 10))
    for slug, names in (("pay", ("pia", "pat")), ("shop", ("sol", "sue"))):
        team = org[slug]
        people = [MembershipFactory(team=team, user__username=name).user for name in names]
        RotationFactory(team=team, participants=people, start_date=datetime.date(2025, 3, 10))
    return org


def test_the_model_comparison_replays_the_imported_bugs(comparison_org, user_client):
    run("jira", JIRA, "--timezone", "Europe/London")
    run("github", GITHUB)

    # Sprints 10-23 March, 24 March-6 April, 7-20 April. Filed in them: PAY-101 (pay),
    # CHK-7 (checkout before the re-org: shop), PAY-102 (pay), #41 (web: shop), CHK-9 (pay),
    # #43 (pay), #44 (checkout after the re-org: pay). WEB-3 (October) is outside.
    # Under total ownership each owner handles its own: Pay 5, Shop 2, no context switch.
    body = user_client.get(
        reverse("report-model-comparison"),
        {"from": "2025-03-10", "to": "2025-04-20", "model": "ownership", "first_line": "without"},
    ).json()
    assert body["bugs"] == 7
    (scenario,) = body["scenarios"]
    rows = {row["team"]: row for row in scenario["teams"]}
    assert (rows["pay"]["bugs"], rows["shop"]["bugs"]) == (5, 2)
    assert rows["pay"]["context_switches"] == rows["shop"]["context_switches"] == 0
