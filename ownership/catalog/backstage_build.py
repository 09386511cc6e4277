"""Write teams and components as Backstage ``catalog-info.yaml`` entities.

This module is pure: plain data in, YAML text out. It writes back the mapping that
``ownership.catalog.backstage`` reads and describes, leaving out empty fields: every team,
then areas and components with parents before children. A component that inherits its owner
has no ``spec.owner``; components get ``spec.lifecycle: production`` because Backstage needs
one.
"""

import yaml

from .backstage import (
    ANNOTATION_CHAT_CHANNEL,
    ANNOTATION_CHAT_WEBHOOK,
    ANNOTATION_LEADS,
    ANNOTATION_MANAGERS,
    ANNOTATION_PARENT,
    ANNOTATION_PATHS,
    ANNOTATION_SOURCE,
    ANNOTATION_TIER,
    ANNOTATION_TIMEZONE,
    API_VERSION,
    parents_first,
)


def _without_blanks(mapping):
    return {key: value for key, value in mapping.items() if value not in ("", None, {}, [])}


def _group(team):
    members = team.get("members") or []
    by_role = {role: [u for u, r in members if r == role] for role in ("manager", "lead")}
    annotations = {
        ANNOTATION_TIMEZONE: team.get("timezone"),
        ANNOTATION_CHAT_WEBHOOK: team.get("chat_webhook_url"),
        ANNOTATION_CHAT_CHANNEL: team.get("chat_channel"),
        ANNOTATION_MANAGERS: ",".join(by_role["manager"]),
        ANNOTATION_LEADS: ",".join(by_role["lead"]),
    }
    profile = {"displayName": team["name"], "email": team.get("email")}
    metadata = {
        "name": team["slug"],
        "description": team.get("description"),
        "annotations": _without_blanks(annotations),
    }
    spec = {
        "type": "team",
        "profile": _without_blanks(profile),
        "children": [],
        "members": [username for username, _ in members],
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "Group",
        "metadata": _without_blanks(metadata),
        "spec": spec,
    }


def _component(component):
    is_area = component.get("kind") == "area"
    annotations = {
        ANNOTATION_SOURCE: f"url:{component['repository_url']}"
        if component.get("repository_url")
        else "",
        ANNOTATION_TIER: str(component.get("tier") or 3),
        ANNOTATION_PATHS: ",".join(component.get("paths") or ()),
    }
    links = [
        {"url": component[key], "title": title, "type": title.lower()}
        for key, title in (("runbook_url", "Runbook"), ("dashboard_url", "Dashboard"))
        if component.get(key)
    ]
    spec = {}
    parent = component.get("parent")
    if is_area:
        annotations[ANNOTATION_PARENT] = parent or ""
    else:
        spec["type"] = component.get("kind") or "service"
        spec["lifecycle"] = "production"
    if component.get("owner"):
        spec["owner"] = f"group:default/{component['owner']}"
    if parent and not is_area:
        if component.get("parent_kind") == "area":
            spec["system"] = f"system:default/{parent}"
        else:
            spec["subcomponentOf"] = f"component:default/{parent}"
    metadata = {
        "name": component["slug"],
        "title": component["name"] if component["name"] != component["slug"] else "",
        "description": component.get("description"),
        "annotations": _without_blanks(annotations),
        "links": links,
    }
    return {
        "apiVersion": API_VERSION,
        "kind": "System" if is_area else "Component",
        "metadata": _without_blanks(metadata),
        "spec": spec,
    }


def build_catalog(*, teams, components) -> str:
    """Write teams and components as Backstage entities, parents before their children.

    ``teams`` are mappings with the Team fields and ``members`` as (username, role) pairs;
    ``components`` are mappings with the Component fields, ``owner`` and ``parent`` as slugs,
    ``parent_kind`` and ``paths``.
    """
    teams = sorted(teams, key=lambda t: t["slug"])
    by_slug = {c["slug"]: c for c in components}
    parents = {
        slug: c.get("parent") if c.get("parent") in by_slug else None for slug, c in by_slug.items()
    }
    ordered = [by_slug[slug] for slug in parents_first(by_slug, parents)]
    documents = [_group(t) for t in teams] + [_component(c) for c in ordered]
    return yaml.safe_dump_all(
        documents, sort_keys=False, allow_unicode=True, default_flow_style=False, width=100
    )
