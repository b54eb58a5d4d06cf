"""What the mapping pages share: fetching a mapping through tenancy, the draft read from a form,
the live preview, and drafts kept in the session so a conflict or a confirmation is a page that
can be reloaded (post, redirect, get)."""

from __future__ import annotations

import json
import secrets

from django.http import Http404, QueryDict
from django.urls import reverse

from connections.models import Connection
from connections.tenancy import get_scoped_or_404
from mappings import catalogs, checks, unified, versions
from mappings.engine import PROBLEM_WORDS, compile_mapping
from mappings.forms import ImportForm, rows_for
from mappings.transforms import OPTIONS
from mappings.validation import validate

DRAFTS_KEPT = 10


def connection_for(request, connection_id: int) -> Connection:
    return get_scoped_or_404(Connection.objects.with_customer(), request.user, pk=connection_id)


def mapping_for(request, connection_id: int, entity: str) -> versions.CurrentMapping:
    """The connection's current mapping of `entity`; 404 for a foreign id or an unknown entity."""
    connection = connection_for(request, connection_id)
    if entity not in unified.ENTITIES or not catalogs.is_supported(connection.system):
        raise Http404("No such mapping.")
    return versions.current(connection, entity)


def sample_index(request, catalog) -> int:
    try:
        index = int(request.POST.get("sample", request.GET.get("sample", 0)))
    except ValueError:
        index = 0
    return index if 0 <= index < len(catalog.samples) else 0


def sample_failures(compiled, catalog) -> dict[str, list[str]]:
    """Per field, how it fails on the samples, in a sentence: a failing row never says valid."""
    sample_set = checks.sample_set(catalog)
    found = {}
    for key, titles in checks.failing_fields(compiled, sample_set).items():
        total = len(sample_set.records)
        found[key] = [
            f"Fails on {len(titles)} of {total} sample records ({', '.join(titles)}): "
            f"{next(iter(titles.values()))}"
        ]
    return found


def preview_context(catalog, draft, sample: int, *, governed: bool = True) -> dict:
    """The preview beside the editor: validation per row, one sample raw and mapped by the draft,
    and each field's failures across all the samples."""
    errors = draft.errors(validate(catalog, draft.rules, draft.value_map_lines))
    raw = catalog.samples[sample]
    try:
        compiled = compile_mapping(catalog.entity, draft.rules)
    except ValueError:
        compiled = None
    if compiled is not None:
        mapped, problems = compiled(raw)
        failures = sample_failures(compiled, catalog)
    else:
        mapped, problems, failures = None, [], {}
    return {
        "errors": errors,
        "general_errors": [
            message
            for key, messages in errors.items()
            if key not in {rule.key for rule in draft.rules}
            for message in messages
        ],
        "raw_json": json.dumps(raw, indent=2, ensure_ascii=False),
        "mapped_json": json.dumps(mapped, indent=2, ensure_ascii=False)
        if mapped is not None
        else "",
        "problems": [{**p, "words": PROBLEM_WORDS.get(p["code"], "")} for p in problems],
        "sample": sample,
        "rows": rows_for(
            catalog, draft.rules, errors, draft.custom_indexes, failures, governed=governed
        ),
    }


def connection_urls(connection, entity: str) -> dict:
    args = [connection.pk, entity]
    return {
        name: reverse(f"mapping_{name}", args=args)
        for name in ("editor", "preview", "save", "custom_field", "field_row", "catalog")
    } | {
        name: reverse(f"mapping_{name}", args=args)
        for name in ("history", "export", "import", "copy")
    }


def editor_context(request, mapping, draft, *, base_number, sample=0, **extra) -> dict:
    catalog = mapping.catalog
    return {
        "scope": "connection",
        "connection": mapping.connection,
        "mapping": mapping,
        "catalog": catalog,
        "governance": catalog.governance,
        "entity": unified.entity(catalog.entity),
        "base_number": base_number,
        "samples": list(enumerate(catalog.sample_titles)),
        "copy_sources": versions.copyable_connections(mapping.connection, request.user),
        "import_form": extra.pop("import_form", None) or ImportForm(),
        "types": unified.FieldType.choices,
        "options": OPTIONS,
        "urls": connection_urls(mapping.connection, catalog.entity),
        **preview_context(catalog, draft, sample),
        **extra,
    }


def stash_draft(request, kind: str, post: QueryDict, **facts) -> str:
    """Keep a posted draft in the session under a fresh token; the newest few are kept."""
    drafts = request.session.get("mapping_drafts", {})
    token = secrets.token_urlsafe(9)
    drafts[token] = {
        "kind": kind,
        "token": token,
        "post": {k: post.getlist(k) for k in post},
        **facts,
    }
    request.session["mapping_drafts"] = dict(list(drafts.items())[-DRAFTS_KEPT:])
    return token


def load_draft(request, token: str | None, **facts) -> dict | None:
    """A kept draft, if it is this user's and for this very page (`facts` must match)."""
    found = request.session.get("mapping_drafts", {}).get(token or "")
    if found is None or any(found.get(key) != value for key, value in facts.items()):
        return None
    post = QueryDict(mutable=True)
    for key, values in found["post"].items():
        post.setlist(key, values)
    return {**found, "post": post}


def forget_draft(request, token: str) -> None:
    drafts = request.session.get("mapping_drafts", {})
    if drafts.pop(token, None) is not None:
        request.session["mapping_drafts"] = drafts
