"""Import and export the component catalog as Backstage catalog-info.yaml and as CODEOWNERS.

``report``       the import report and ``CatalogImportError``, shared by both formats
``entity``       YAML documents with line numbers, and reading an entity's fields
``backstage``    catalog-info.yaml entities -> parsed teams and components (the mapping)
``backstage_build``  teams and components -> catalog-info.yaml
``codeowners``   CODEOWNERS text <-> rules and sections
``services``     check a catalog-info.yaml against the database, apply it; export one
``codeowners_services``  the same for CODEOWNERS

All but the two ``services`` modules are pure: text in, plain data out, no database.
"""

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
    COMPONENT_LIMITS,
    COMPONENT_SLUG_MAX,
    COMPONENT_TYPES,
    IMPORTED_KINDS,
    TEAM_LIMITS,
    TEAM_SLUG_MAX,
    ComponentEntry,
    ParsedCatalog,
    Skipped,
    TeamEntry,
    find_cycle,
    parents_first,
    parse_catalog,
)
from .backstage_build import build_catalog
from .codeowners import (
    CodeownersRule,
    Owner,
    build_codeowners,
    parse_codeowners,
    slug_from_pattern,
)
from .codeowners_services import codeowners_export, codeowners_import
from .report import CatalogImportError, ImportReport, ReportEntry, by_line
from .services import NOTE, catalog_export, catalog_import

__all__ = [
    "ANNOTATION_CHAT_CHANNEL",
    "ANNOTATION_CHAT_WEBHOOK",
    "ANNOTATION_LEADS",
    "ANNOTATION_MANAGERS",
    "ANNOTATION_PARENT",
    "ANNOTATION_PATHS",
    "ANNOTATION_SOURCE",
    "ANNOTATION_TIER",
    "ANNOTATION_TIMEZONE",
    "API_VERSION",
    "COMPONENT_LIMITS",
    "COMPONENT_SLUG_MAX",
    "COMPONENT_TYPES",
    "IMPORTED_KINDS",
    "NOTE",
    "TEAM_LIMITS",
    "TEAM_SLUG_MAX",
    "CatalogImportError",
    "CodeownersRule",
    "ComponentEntry",
    "ImportReport",
    "Owner",
    "ParsedCatalog",
    "ReportEntry",
    "Skipped",
    "TeamEntry",
    "build_catalog",
    "build_codeowners",
    "by_line",
    "catalog_export",
    "catalog_import",
    "codeowners_export",
    "codeowners_import",
    "find_cycle",
    "parents_first",
    "parse_catalog",
    "parse_codeowners",
    "slug_from_pattern",
]
