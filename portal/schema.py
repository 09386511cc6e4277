"""Rota's additions to the generated OpenAPI schema, so that it says what the API really answers.

Loaded through settings: ``REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]`` names :class:`RotaAutoSchema`
and ``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]`` names :func:`document_error_responses`;
``PortalConfig.ready`` imports this module for the token scheme below. Each rule here fixes
one kind of mismatch for every serializer and view, rather than one field or one view:

- a response field read through a nullable foreign key (``incident.acknowledged_by``) or from
  a nullable column is ``nullable``, even when the serializer field itself does not say so;
- a read-only choice field over a column that may be blank lists ``""`` among its values
  (DRF drops ``allow_blank`` from read-only model fields, so drf-spectacular cannot see it);
- a blank-able URL or e-mail field allows ``""`` beside its format, and a time of day is
  ``HH:MM[:SS]`` by pattern (OpenAPI's ``time`` format wants seconds and an offset);
- every operation documents the errors the API answers (``core.exceptions``): 400 with a
  message per field, 401/403 without a valid token or permission, 404 for an unknown id, page
  or format, 409 when a write conflicts with the current state, 415 and 429.
"""

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "portal.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'A personal API token, sent as "Token <token>" '
            "(python manage.py create_api_token <username>).",
        }


def source_model_field(field: serializers.Field) -> tuple[models.Field | None, bool]:
    """Return the model field a serializer field reads, and whether a step before it may be null.

    Follow ``field.source`` (``shift.rotation.name``) from the parent serializer's
    ``Meta.model``. Return ``(None, False)`` when the source is not a chain of model fields
    (a method, a property, ``*``) or the serializer has no model.
    """
    parent = field.parent
    if isinstance(parent, serializers.ListSerializer):
        parent = parent.parent
    model = getattr(getattr(parent, "Meta", None), "model", None)
    attrs = getattr(field, "source_attrs", None) or []
    if model is None or not attrs or field.source == "*":
        return None, False
    through_null = False
    model_field = None
    for index, attr in enumerate(attrs):
        if model is None:
            return None, False
        try:
            model_field = model._meta.get_field(attr)
        except FieldDoesNotExist:
            attname = {f.attname: f for f in model._meta.concrete_fields}
            if attr not in attname:
                return None, False
            model_field = attname[attr]
        if index < len(attrs) - 1:
            if not (model_field.many_to_one or model_field.one_to_one):
                return None, False
            # A reverse one-to-one may be missing as well as a nullable forward key.
            through_null = through_null or model_field.null or model_field.auto_created
            model = model_field.related_model
    return model_field, through_null


def answers_null(field: serializers.Field) -> bool:
    """Whether a response may carry ``null`` for ``field`` though it does not say ``allow_null``."""
    if isinstance(field, serializers.ManyRelatedField | serializers.ListSerializer):
        return False
    model_field, through_null = source_model_field(field)
    if model_field is None or model_field.many_to_many or model_field.one_to_many:
        return False
    return through_null or bool(model_field.null)


def answers_blank(field: serializers.Field) -> bool:
    """Whether a field may answer ``""``: its column is text that may be blank."""
    model_field, _ = source_model_field(field)
    return (
        isinstance(model_field, models.CharField | models.TextField)
        and model_field.blank
        and "" not in dict(model_field.choices or ())
    )


TIME_OF_DAY = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
OUTER_KEYS = {"readOnly", "writeOnly", "description", "title", "default", "deprecated"}


class RotaAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema, with response fields as nullable or blank as they answer."""

    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and "nullable" not in meta and answers_null(field):
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if (
            direction == "response"
            and isinstance(field, serializers.ChoiceField)
            and "enum" in schema
            and "" not in schema["enum"]
            and answers_blank(field)
        ):
            # The enum post-processing hook turns "" into a separate BlankEnum choice.
            values = [value for value in schema["enum"] if value is not None]
            schema["enum"] = [*values, "", *([None] if None in schema["enum"] else [])]
        if isinstance(field, serializers.TimeField) and schema.get("format") == "time":
            # OpenAPI's "time" is RFC 3339's full-time, with seconds and an offset; Rota's
            # times of day are local wall-clock times, "09:00" (or "09:00:00" on input).
            del schema["format"]
            schema["pattern"] = TIME_OF_DAY
        elif (
            isinstance(field, serializers.CharField)
            and schema.get("format")
            and (field.allow_blank or (direction == "response" and answers_blank(field)))
        ):
            # A blank URL or e-mail is "", which no string format accepts.
            nullable = schema.pop("nullable", None)
            schema = {
                "anyOf": [
                    {k: v for k, v in schema.items() if k not in OUTER_KEYS},
                    {"type": "string", "maxLength": 0},
                ],
                **{k: v for k, v in schema.items() if k in OUTER_KEYS},
                **({"nullable": True} if nullable else {}),
            }
        return schema


ERROR = "Error"
VALIDATION_ERROR = "ValidationError"
ERROR_COMPONENTS = {
    ERROR: {
        "type": "object",
        "description": "An error with one message (core.exceptions.api_exception_handler).",
        "properties": {"detail": {"type": "string", "description": "What went wrong."}},
        "required": ["detail"],
    },
    VALIDATION_ERROR: {
        "type": "object",
        "description": (
            "Refused input: each key is a field of the request (or a query parameter) with a "
            "list of messages; 'non_field_errors' holds messages about the request as a whole. "
            "A nested field's messages are an object of its own fields, or a list of those for "
            "a list. A body that is not valid JSON is answered with 'detail' instead."
        ),
        "properties": {
            "non_field_errors": {"type": "array", "items": {"type": "string"}},
            "detail": {"type": "string"},
        },
        "additionalProperties": {
            "oneOf": [
                {"type": "array", "items": {}},
                {"type": "object", "additionalProperties": {}},
            ]
        },
    },
}
WRITE_METHODS = {"post", "put", "patch", "delete"}
BODY_METHODS = {"post", "put", "patch"}


def _error(description: str, component: str = ERROR) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def _errors_for(method: str, operation: dict) -> dict[str, dict]:
    """Return the error answers ``operation`` can give, by status code."""
    parameters = operation.get("parameters", [])
    paginated = any(p.get("in") == "query" and p.get("name") == "page" for p in parameters)
    queried = any(p.get("in") == "query" for p in parameters)
    security = operation.get("security", [])
    errors = {}
    if method in BODY_METHODS or queried:
        errors["400"] = _error(
            "Refused input, with messages per field or query parameter.", VALIDATION_ERROR
        )
    if security and {} not in security:
        errors["401"] = _error("No credentials, or a token that is unknown or revoked.")
    if security:
        errors["403"] = _error("The caller may not do this (or, signed in, lacks a CSRF token).")
    # Any view answers 404 for an unknown ?format= (DRF's URL_FORMAT_OVERRIDE), and for a
    # URL under /api/ that matches no route (core.exceptions.api_not_found).
    errors["404"] = _error(
        "No such object visible to the caller, "
        + ("no such page, " if paginated else "")
        + "or an unknown ?format=."
    )
    if method in WRITE_METHODS:
        errors["409"] = _error(
            "The change conflicts with the current state: a state transition that is not "
            "allowed now, a row others still depend on, or a concurrent change."
        )
    if method in BODY_METHODS:
        errors["415"] = _error("The request body's content type is not accepted.")
    errors["429"] = _error("Too many requests; retry after the Retry-After header's seconds.")
    return errors


def document_error_responses(result, generator, request, public):
    """Add the API's error answers, and their shared components, to every operation.

    A drf-spectacular post-processing hook (``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``).
    Responses an operation documents itself (``extend_schema(responses=...)``) are kept.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    for name, component in ERROR_COMPONENTS.items():
        schemas.setdefault(name, component)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status, response in _errors_for(method, operation).items():
                operation["responses"].setdefault(status, response)
    return result
