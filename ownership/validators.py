"""Field validators shared by models, serializers and the catalog import."""

import zoneinfo

from django.core.exceptions import ValidationError

from .paths import GlobError, compile_glob


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
    """Refuse a code path pattern that CODEOWNERS would not understand."""
    try:
        compile_glob(value)
    except GlobError as exc:
        raise ValidationError(str(exc), code="invalid_glob") from None
