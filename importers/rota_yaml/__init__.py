"""Rota as code: the whole rota configuration as one YAML document, exported and imported.

The document holds people (username, e-mail, names), teams with members and roles,
components with their owners and path globs, sprint calendars, rotations with participants,
restrictions and ``follows``, support policies with their escalation delays, the default
delays, the routing settings and the alert integrations. Objects refer to each other by slug
(teams, components), name (calendars, rotations, policies, integrations) and username (people;
an import also accepts an e-mail). No database ids, lists sorted by natural key, so exporting,
importing into an empty database and exporting again gives the same text.

Secrets are never written: a team's chat webhook URL and an integration's signing secret appear
as ``env:ROTA_SECRET_...``, read from that environment variable on import (an existing object
keeps its secret when the variable is unset). Integration webhook URLs are not exported; an
integration the import creates gets a new URL, listed once by ``import_rota``.

Import is declarative for the objects the file names (an absent key means the field's default,
an absent ``escalation`` removes the policy's own delays); objects the file leaves out are kept
unless ``prune`` is set. People missing from the database are created, with no password.
"""

from __future__ import annotations

import yaml
from django.db import transaction

from importers.base import ImportRefused, ImportReport, Progress
from importers.registry import register
from incidents.models import EscalationPolicy, Integration
from ownership.models import Component, Team
from rota.models import Rotation, RoutingSettings, SprintCalendar, SupportPolicy

from .export import ExportRefused, export_rota
from .load import Loader
from .schema import SECTIONS, VERSION

__all__ = ["ExportRefused", "export_rota", "run"]


class _YamlLoader(yaml.SafeLoader):
    """YAML 1.1 as ``safe_load`` reads it, but ``10:30`` unquoted stays the text "10:30".

    YAML 1.1 reads digits with colons as a number in base 60 (10:30 is 630); this document
    has no such numbers, only times of day, so a reviewer's unquoted time is read as written.
    """

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if ":" in text:
            return text
        return super().construct_yaml_int(node)


_YamlLoader.add_constructor("tag:yaml.org,2002:int", _YamlLoader.construct_yaml_int)


def parse(data: bytes | str) -> dict:
    """Return the document as plain data; ``ImportRefused`` for unreadable YAML (with its line)."""
    try:
        doc = yaml.load(data, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ImportRefused(f"not valid YAML: {problem}", where=where) from None
    if not isinstance(doc, dict):
        raise ImportRefused("expected a Rota YAML document (a mapping with version: 1)")
    if doc.get("version") != VERSION:
        raise ImportRefused(
            f"unknown document version (this Rota reads {VERSION})", where="version"
        )
    return doc


def _plurals() -> dict[str, str]:
    """Each kind the summary counts -> its plural, the model's ``verbose_name_plural``."""
    models = (Team, Component, Rotation, RoutingSettings, SprintCalendar, SupportPolicy)
    plurals = {
        str(m._meta.verbose_name): str(m._meta.verbose_name_plural)
        for m in (*models, EscalationPolicy, Integration)
    }
    return {**plurals, "person": "people"}


@register(
    "rota-yaml",
    label="Rota configuration (YAML, rota as code)",
    kind="config",
    file_hint="YAML document written by export_rota",
)
def run(data: bytes, *, options: dict, report: ImportReport, progress: Progress) -> None:
    """Import a rota YAML document; with any problem, roll the whole import back.

    ``options``: ``prune`` (bool) deletes objects of the file's sections it does not name;
    ``new_urls`` (a list) receives ``(name, url)`` for each integration created.
    """
    doc = parse(data)
    report.plurals.update(_plurals())
    for key in doc:
        if key not in SECTIONS:
            report.problem(key, f"unknown section (known: {', '.join(SECTIONS)})")
    loader = Loader(
        doc,
        report,
        prune=bool(options.get("prune")),
        new_urls=options.get("new_urls"),
        progress=progress,
    )
    loader.load()
    if report.problems:
        # Nothing is written when anything is wrong: roll back execute()'s transaction.
        transaction.set_rollback(True)
