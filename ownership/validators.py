"""Field validators shared by models, serializers and the catalog import."""

import zoneinfo

from django.core.exceptions import ValidationError

from .paths import GlobError, canonical_pattern, compile_glob


def validate_timezone(value):
    """Refuse anything that is not an IANA time zone name."""
    try:
        zoneinfo.ZoneInfo(value)
    # A name too long for a file name makes zoneinfo raise OSError, not "not found".
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError, OSError):
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


def normalise_public_holidays(value: str) -> str:
    """Return the canonical spelling of a public-holiday calendar code, or "" for none.

    A code is an ISO 3166-1 alpha-2 country, optionally with an ISO 3166-2 subdivision after a
    dash (``DE``, ``DE-BY``, ``GB-SCT``, ``US-CA``), as supported by the ``holidays`` package;
    letters may be given in any case. Aliases the package knows are turned into those codes:
    other country codes (``UK`` and alpha-3 ``GBR`` are ``GB``, ``DEU`` is ``DE``) and names
    of subdivisions (``GB-Scotland`` is ``GB-SCT``). Raise ``ValidationError`` naming what is
    unknown.
    """
    import holidays  # imported here: loading its country list takes a moment

    value = (value or "").strip()
    if not value:
        return ""
    country, _, subdivision = value.partition("-")
    country = country.upper()
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise ValidationError(
            "Unknown country %(country)s: give an ISO 3166-1 code the holidays package "
            "supports, optionally with a subdivision (e.g. DE-BY, GB-SCT, US-CA).",
            code="unknown_country",
            params={"country": repr(country)},
        )
    calendar = holidays.country_holidays(country)
    country = calendar.country  # the ISO 3166-1 alpha-2 code of an alias (UK, GBR: GB)
    if not subdivision:
        return country
    known = {code.upper(): code for code in supported[country]}
    aliases = {
        name.upper(): code for name, code in getattr(calendar, "subdivisions_aliases", {}).items()
    }
    code = known.get(subdivision.upper()) or aliases.get(subdivision.upper())
    if code is None:
        choices = ", ".join(sorted(supported[country])) or "none"
        raise ValidationError(
            "Unknown subdivision %(subdivision)s of %(country)s: choose one of %(choices)s.",
            code="unknown_subdivision",
            params={"subdivision": repr(subdivision), "country": country, "choices": choices},
        )
    return f"{country}-{code}"


def validate_public_holidays(value):
    """Refuse a public-holiday calendar code the ``holidays`` package does not know."""
    normalise_public_holidays(value)
