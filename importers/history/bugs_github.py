"""Import bug history from GitHub issues: the REST API's list of a repository's issues.

The file is what ``GET /repos/{owner}/{repo}/issues?state=all`` answers (a JSON list), or
several pages of it: ``gh api --paginate`` writes one list after another, ``--slurp`` a list of
lists; both are read. Pull requests (objects with a ``pull_request`` key) are skipped. Fields
read: ``number`` and ``html_url`` (identity ``owner/repo#number``: a re-import updates it),
``title``, ``body``, ``state``, ``state_reason`` and ``labels`` (outcome), ``labels``
(severity and component), ``created_at``, ``closed_at``.
"""

from __future__ import annotations

import datetime
import json
import re

from importers.base import ImportRefused, ImportReport, Progress
from importers.registry import register
from incidents.models import Bug

from .bugs_common import (
    SourceBug,
    add_picks,
    in_line_order,
    load_mapping,
    read_mapping,
    save_bugs,
    unplaced_names,
)

REPO_URL = re.compile(
    r"^https://[^/]+/(?:repos/)?(?P<repo>[^/]+/[^/]+?)(?:/(?:issues|pull)/\d+)?/?$"
)


def _items(data: bytes) -> list:
    """Return every object of the file: a list, lists one after another, or a list of lists."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused("not a UTF-8 text file", where="GitHub JSON") from None
    decoder, position, found = json.JSONDecoder(), 0, []
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position == len(text):
            break
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ImportRefused(
                f"not JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
                where="GitHub JSON",
            ) from None
        if not isinstance(value, list):
            raise ImportRefused(
                "expected the list GET /repos/{owner}/{repo}/issues answers", where="GitHub JSON"
            )
        for element in value:
            found.extend(element if isinstance(element, list) else [element])
    return found


def _time(value, field: str) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f'{field} "{value}" is not an ISO 8601 time') from None
    if parsed.tzinfo is None:
        raise ValueError(f'{field} "{value}" has no offset (GitHub gives UTC with a Z)')
    return parsed.astimezone(datetime.UTC)


def _repository(issue: dict) -> str | None:
    for field in ("html_url", "repository_url"):
        match = REPO_URL.match(str(issue.get(field) or ""))
        if match:
            return match.group("repo")
    return None


def read_github_json(data: bytes, *, report: ImportReport) -> list[SourceBug]:
    """Return the issues (not pull requests) of a GitHub issues list; bad ones go to ``report``.

    Raises ``ImportRefused`` when the file is not JSON or not a list.
    """
    bugs = []
    for index, issue in enumerate(_items(data)):
        where = f"item {index}"
        if not isinstance(issue, dict):
            report.problem(where, "not an issue object")
            continue
        if "pull_request" in issue:
            continue
        number = issue.get("number")
        if not isinstance(number, int):
            report.problem(where, "no issue number")
            continue
        where = f"item {index} (#{number})"
        repository = _repository(issue)
        if repository is None:
            report.problem(where, "no html_url or repository_url saying which repository")
            continue
        try:
            created = _time(issue.get("created_at"), "created_at")
            closed_at = _time(issue.get("closed_at"), "closed_at")
        except ValueError as exc:
            report.problem(where, str(exc))
            continue
        if created is None:
            report.problem(where, "no created_at")
            continue
        labels = [
            str(label.get("name") if isinstance(label, dict) else label).strip()
            for label in issue.get("labels") or []
        ]
        labels = [label for label in labels if label]
        reason = str(issue.get("state_reason") or "")
        bugs.append(
            SourceBug(
                where=where,
                source_id=f"{repository}#{number}",
                title=str(issue.get("title") or f"#{number}"),
                created_at=created,
                closed=issue.get("state") == "closed",
                closed_at=closed_at,
                description=str(issue.get("body") or ""),
                ticket_url=str(issue.get("html_url") or ""),
                labels=labels,
                severity_names=labels,
                outcome_names=[reason, *labels] if reason else labels,
            )
        )
    return bugs


@register(
    "github-bugs",
    label="GitHub issues (bugs)",
    kind="history",
    file_hint="GitHub issues JSON (GET /repos/{owner}/{repo}/issues?state=all)",
)
def import_github_bugs(
    data: bytes, *, options: dict, report: ImportReport, progress: Progress
) -> None:
    """Import the issues of a GitHub issues list as bugs.

    ``options``: ``mapping`` (mapping file text or dict, see ``load_mapping``).
    """
    mapping = load_mapping(options.get("mapping"))
    bugs = read_github_json(data, report=report)
    save_bugs(bugs, source=Bug.Source.GITHUB, mapping=mapping, report=report, progress=progress)
    in_line_order(report)


def _unplaced(data: bytes, mapping: dict) -> list[str]:
    """The labels of issues that ``mapping`` places on no component (admin picker)."""
    return unplaced_names(read_github_json(data, report=ImportReport("github")), mapping)


import_github_bugs.read_mapping = read_mapping
import_github_bugs.add_picks = add_picks
import_github_bugs.unmapped_services = _unplaced
