"""Field validators shared by models, serializers and the catalog import."""

import zoneinfo

from django.core.exceptions import ValidationError

from .paths import GlobError, canonical_pattern, compile_glob


def validate_timezone(value):
    """Refuse anything that is not an IANA time zone name."""
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationError(
            "%(value)s is not a known IANA time zone (e.g. Europe/London).",
            code="invalid_timezone",
            params={"value": value},
        ) from None


def validate_glob(value):
    """Refuse a code path pattern that CODEOWNERS would not understand, or not in stored form.

    The stored form is ``ownership.paths.canonical_pattern``'s: a pattern written another way
    (e.g. ``a\\ b`` for ``a b``) is refused with the form to use, so that one pattern has one
    spelling and the uniqueness of patterns holds.
    """
    try:
        canonical = canonical_pattern(value)
        compile_glob(canonical)
    except GlobError as exc:
        raise ValidationError(str(exc), code="invalid_glob") from None
    if canonical != value:
        raise ValidationError(
            "Write this pattern as %(canonical)s: a space inside a pattern needs no backslash, "
            "one at either end does.",
            code="glob_not_canonical",
            params={"canonical": canonical},
        )
