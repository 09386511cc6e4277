"""Fetch the JSON the PagerDuty importer reads straight from PagerDuty's REST API.

Only GETs, only to the host the user names, through ``core.netsafety.safe_urlopen`` (public
addresses only, a deadline per request). For each schedule id: the schedule, its overrides from
now for ``days`` days, the escalation policies the schedule lists, and every user its layers
and overrides name. The result is the bundle ``read_documents`` takes.
"""

from __future__ import annotations

import datetime
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from core.netsafety import UnsafeURL, safe_urlopen

TIMEOUT = 30  # seconds per request
_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$")
_ID = re.compile(r"^[A-Za-z0-9]+$")


class FetchFailed(Exception):
    """PagerDuty could not be asked or did not answer; the message says which request."""


def _get(host: str, token: str, path: str, query: dict | None = None) -> dict:
    url = f"https://{host}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query, doseq=True)
    request = urllib.request.Request(  # noqa: S310 - https only, host checked by the caller
        url,
        headers={
            "Accept": "application/vnd.pagerduty+json;version=2",
            "Authorization": f"Token token={token}",
        },
    )
    try:
        with safe_urlopen(request, timeout=TIMEOUT) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        raise FetchFailed(f"GET {path}: PagerDuty answered {exc.code} {exc.reason}") from None
    except (UnsafeURL, OSError, ValueError) as exc:
        raise FetchFailed(f"GET {path}: {exc}") from None


def fetch_bundle(
    *,
    schedule_ids: list[str],
    token: str,
    host: str = "api.pagerduty.com",
    days: int = 90,
    now: datetime.datetime | None = None,
) -> dict:
    """Return ``{"users", "schedules", "overrides", "escalation_policies"}`` for the schedules.

    Raise ``FetchFailed`` naming the request that failed, or a bad host or id.
    """
    if not _HOST.match(host):
        raise FetchFailed(f'"{host}" is not a host name')
    now = now or datetime.datetime.now(datetime.UTC)
    since, until = now.isoformat(), (now + datetime.timedelta(days=days)).isoformat()
    bundle = {"users": [], "schedules": [], "overrides": {}, "escalation_policies": []}
    user_ids, policy_ids = set(), set()
    for schedule_id in schedule_ids:
        if not _ID.match(schedule_id):
            raise FetchFailed(f'"{schedule_id}" is not a PagerDuty id')
        # since/until make PagerDuty add its final schedule, which the import checks itself by.
        schedule = _get(host, token, f"/schedules/{schedule_id}", {"since": since, "until": until})[
            "schedule"
        ]
        bundle["schedules"].append(schedule)
        overrides = _get(
            host, token, f"/schedules/{schedule_id}/overrides", {"since": since, "until": until}
        ).get("overrides", [])
        bundle["overrides"][schedule_id] = overrides
        for layer in schedule.get("schedule_layers") or []:
            user_ids |= {u["user"]["id"] for u in layer.get("users") or []}
        user_ids |= {o["user"]["id"] for o in overrides if o.get("user")}
        policy_ids |= {p["id"] for p in schedule.get("escalation_policies") or []}
    for policy_id in sorted(policy_ids):
        policy = _get(host, token, f"/escalation_policies/{policy_id}")["escalation_policy"]
        bundle["escalation_policies"].append(policy)
        for rule in policy.get("escalation_rules") or []:
            user_ids |= {t["id"] for t in rule.get("targets") or [] if t["type"].startswith("user")}
    for user_id in sorted(user_ids):
        if _ID.match(user_id):
            bundle["users"].append(_get(host, token, f"/users/{user_id}")["user"])
    return bundle
