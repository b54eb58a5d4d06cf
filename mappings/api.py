"""The mapping API for the vendor's unified API runtime: effective mappings and transforms.

django-ninja rather than DRF: the request and response bodies are pydantic schemas, so input is
validated from type hints and the OpenAPI schema is generated from the same code that serves it
(schemathesis fuzzes that schema in the tests). DRF would need serializers plus a schema add-on.

Authentication is a Bearer token that is one of the connection API tokens Patchbay stores (found
by keyed fingerprint, active ones only). A token opens its own connection only, not every
connection of its customer: the runtime calls on behalf of one connection and already holds that
connection's token, so the narrower scope costs nothing and a leaked token exposes one mapping.

Every answer is computed from the database on the call, so a save in the editor (or a change
to the system default) applies to the very next request. Errors are
`{"errors": [{"code", "message", "field"}]}` with 400/401/404/409/422.

`PUT .../mapping` saves a new version with the same rules as the editor: the platform admins'
governance (`locked`, `required`, which custom fields), validation, a three-way merge with any
version saved since `base_version` (409 `conflict` per field both changed: send `resolutions`),
and the check on sample and live records (422 `would_break` per field: send the answer's
`confirm` back to save anyway).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import ConfigDict

from connections.actors import Actor
from connections.models import ApiToken, Connection
from mappings import catalogs, unified, versions
from mappings.spec import SpecError, parse_spec
from mappings.validation import LOCKED

MAX_RECORDS = 1000

EntityName = Literal[tuple(unified.ENTITIES)]  # type: ignore[valid-type]


class ConnectionToken(HttpBearer):
    """A stored, active connection API token; `request.auth` is the token row."""

    def authenticate(self, request, token: str) -> ApiToken | None:
        if not token or len(token) > 512:
            return None
        found = (
            ApiToken.objects.active()
            .with_fingerprint(token)
            .select_related("connection__customer")
            .first()
        )
        if found is not None:
            ApiToken.objects.filter(pk=found.pk).mark_used()
        return found


api = NinjaAPI(
    title="Patchbay mapping API",
    version="1",
    description=__doc__,
    urls_namespace="mappings-api",
    auth=ConnectionToken(),
    # The interactive docs would load Swagger UI from a CDN; the schema itself is served.
    docs_url=None,
)


class ErrorItem(Schema):
    code: str
    message: str
    field: str = ""


class ErrorBody(Schema):
    errors: list[ErrorItem]
    confirm: str = Field("", description="With would_break errors: send it back to save anyway.")


class FieldMapping(Schema):
    field: str = Field(description="Unified field key (`lines.material` for an item field).")
    type: str = Field(description="Unified type, or the custom field's cast (empty: as is).")
    required: bool
    path: str = Field(description="Source path in the raw record; empty when unmapped.")
    transform: dict[str, Any]
    enabled: bool
    origin: Literal["default", "override", "custom", "unmapped"]
    locked: bool = Field(False, description="Locked by the platform admins: not remappable.")


class GovernanceOut(Schema):
    locked: list[str] = Field(description="Unified fields customers may not remap.")
    required: list[str] = Field(description="Fields every connection must map.")
    custom_fields: Literal["any", "listed", "none"]
    listed: list[str] = Field(description="The custom fields allowed when custom_fields=listed.")


class MappingOut(Schema):
    connection: str
    system: str
    entity: str
    version: int = Field(description="Mapping version number; 0 means the system defaults.")
    system_default_version: int = Field(0, description="0: the catalog's own defaults.")
    model_version: str
    merged: bool = Field(False, description="A save merged with a version saved meanwhile.")
    governance: GovernanceOut
    fields: list[FieldMapping]
    custom_fields: list[FieldMapping]


class OverrideIn(Schema):
    model_config = ConfigDict(strict=True)  # false is not a version, 1 not true

    path: str = ""
    transform: dict[str, Any] = Field(default_factory=dict)
    enabled: bool = True


class CustomFieldIn(Schema):
    model_config = ConfigDict(strict=True)  # false is not a version, 1 not true

    name: str
    path: str = ""
    transform: dict[str, Any] = Field(default_factory=dict)


class MappingIn(Schema):
    model_config = ConfigDict(strict=True)  # false is not a version, 1 not true

    base_version: int | None = Field(
        None,
        description="The version this edit started from; a later save merges field by field. "
        "Omit to save on top of whatever is newest.",
    )
    overrides: dict[str, OverrideIn] = Field(default_factory=dict)
    custom_fields: list[CustomFieldIn] = Field(default_factory=list, max_length=200)
    note: str = Field("", max_length=200)
    resolutions: dict[str, Literal["mine", "theirs"]] = Field(
        default_factory=dict,
        description="For each field of a 409 conflict: keep this edit (mine) or the saved one.",
    )
    confirm: str = Field(
        "", max_length=64, description="The `confirm` of a 422 would_break answer: save anyway."
    )


class TransformIn(Schema):
    records: list[Any] = Field(max_length=MAX_RECORDS, description="Raw records, JSON objects.")


class Problem(Schema):
    field: str
    code: str
    message: str


class RecordResult(Schema):
    record: dict[str, Any]
    problems: list[Problem]


class TransformOut(Schema):
    connection: str
    entity: str
    version: int
    results: list[RecordResult]


# Where ninja says an input came from; the error names the field itself (`records`, `entity`).
LOCATIONS = {"body", "path", "query", "header", "payload"}

ERRORS = {400: ErrorBody, 401: ErrorBody, 404: ErrorBody, 422: ErrorBody}
SAVE_ERRORS = {**ERRORS, 409: ErrorBody}


def error_response(request, status: int, code: str, message: str, field: str = ""):
    response = api.create_response(
        request, {"errors": [{"code": code, "message": message, "field": field}]}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(ValidationError)
def invalid_input(request, exc: ValidationError):
    errors = [
        {
            "code": str(error.get("type", "invalid")),
            "message": str(error.get("msg", "Invalid value.")),
            "field": ".".join(str(part) for part in error.get("loc", ()) if part not in LOCATIONS),
        }
        for error in exc.errors
    ]
    return api.create_response(request, {"errors": errors}, status=422)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return error_response(
        request, 401, "unauthenticated", "Send a connection API token as a Bearer token."
    )


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    code = {400: "bad_request", 403: "forbidden"}.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, str(exc))


@api.exception_handler(SuspiciousOperation)
def suspicious(request, exc):
    """Django answers these 400 itself; ninja would turn them into a 500 with DEBUG on."""
    message = (
        "The request body is too large: send at most 1000 records, in several calls."
        if isinstance(exc, RequestDataTooBig)
        else "The request was refused."
    )
    return error_response(request, 400, "bad_request", message)


@api.exception_handler(Http404)
def not_found(request, exc):
    return error_response(request, 404, "not_found", "No such connection or entity.")


def mapping_for(request, upstream_id: str, entity: str) -> versions.CurrentMapping:
    """The current mapping, if the token belongs to this very connection; 404 otherwise."""
    token: ApiToken = request.auth
    connection: Connection = token.connection
    if connection.upstream_id != upstream_id or not catalogs.is_supported(connection.system):
        raise Http404
    return versions.current(connection, entity)


def field_mapping(mapping: versions.CurrentMapping, rule) -> dict:
    entity = unified.entity(mapping.catalog.entity)
    unified_field = None if rule.is_custom else entity.by_key[rule.key]
    governance = mapping.catalog.governance
    return {
        "field": rule.key,
        "type": unified_field.type if unified_field else rule.transform.get("cast", ""),
        "required": bool(unified_field and unified_field.required)
        or rule.key in governance.required,
        "path": rule.path,
        "transform": rule.transform,
        "enabled": rule.enabled,
        "origin": rule.origin,
        "locked": rule.key in governance.locked,
    }


def mapping_body(mapping: versions.CurrentMapping, *, merged: bool = False) -> dict:
    rules = mapping.rules()
    return {
        "connection": mapping.connection.upstream_id,
        "system": mapping.connection.system,
        "entity": mapping.catalog.entity,
        "version": mapping.number,
        "system_default_version": mapping.catalog.default_number,
        "model_version": unified.MODEL_VERSION,
        "merged": merged,
        "governance": mapping.catalog.governance.as_dict(),
        "fields": [field_mapping(mapping, rule) for rule in rules if not rule.is_custom],
        "custom_fields": [field_mapping(mapping, rule) for rule in rules if rule.is_custom],
    }


@api.get(
    "/connections/{upstream_id}/entities/{entity}/mapping",
    response={200: MappingOut, **ERRORS},
    summary="The connection's effective mapping of one entity",
)
def effective_mapping(request, upstream_id: str, entity: EntityName):
    return mapping_body(mapping_for(request, upstream_id, entity))


def field_errors(errors: dict[str, list[str]]) -> list[dict]:
    return [
        {
            "code": "locked" if message == LOCKED else "invalid_mapping",
            "message": message,
            "field": key,
        }
        for key, messages in errors.items()
        for message in messages
    ]


@api.put(
    "/connections/{upstream_id}/entities/{entity}/mapping",
    response={200: MappingOut, **SAVE_ERRORS},
    summary="Save the connection's mapping of one entity as a new version",
)
def save_mapping(request, upstream_id: str, entity: EntityName, payload: MappingIn):
    mapping = mapping_for(request, upstream_id, entity)
    if not isinstance(json.loads(request.body or b"{}"), dict):
        # ninja reads the model's fields from a body that is not an object as all defaults.
        message = "The body must be a JSON object."
        return 422, {"errors": [{"code": "invalid", "message": message, "field": ""}]}
    document = payload.dict()
    try:
        spec = parse_spec(
            {"overrides": document["overrides"], "custom_fields": document["custom_fields"]}
        )
    except SpecError as exc:
        return 422, {"errors": field_errors(exc.errors)}
    try:
        version = versions.save(
            mapping.connection,
            entity,
            spec,
            base_number=payload.base_version,
            actor=Actor.from_request(request),
            note=payload.note or "Saved through the mapping API",
            confirm=payload.confirm,
            resolutions=payload.resolutions,
            action="mapping.api_save",
        )
    except versions.InvalidMapping as invalid:
        return 422, {"errors": field_errors(invalid.errors)}
    except versions.Conflict as conflict:
        theirs = conflict.latest.number if conflict.latest else 0
        items = [
            {
                "code": "conflict",
                "message": f"Version {theirs} changed this field too: send resolutions "
                f"with mine or theirs (theirs: {versions.describe_entry(c.theirs, c.key)}).",
                "field": c.key,
            }
            for c in (conflict.merge.conflicts if conflict.merge else [])
        ] or [{"code": "conflict", "message": "Another save landed first: try again.", "field": ""}]
        return 409, {"errors": items}
    except versions.NeedsConfirmation as stopped:
        items = [
            {"code": "would_break", "message": breakage.sentence, "field": breakage.field}
            for breakage in stopped.breakages
        ]
        return 422, {"errors": items, "confirm": stopped.token}
    saved = versions.current(mapping.connection, entity)
    return mapping_body(saved, merged=version.merge is not None)


@api.post(
    "/connections/{upstream_id}/entities/{entity}/transform",
    response={200: TransformOut, **ERRORS},
    summary="Map raw records to unified records, with problems per record",
)
def transform(request, upstream_id: str, entity: EntityName, payload: TransformIn):
    mapping = mapping_for(request, upstream_id, entity)
    return {
        "connection": mapping.connection.upstream_id,
        "entity": entity,
        "version": mapping.number,
        "results": mapping.compiled().many(payload.records),
    }
