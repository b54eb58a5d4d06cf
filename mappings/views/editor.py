"""The connection mapping editor: rows, live preview, save (with merge, checks, confirmation),
and the pieces htmx swaps in (a custom row, a row reset to the system default, catalog search).

Members of the connection's customer and platform staff may edit; the platform admins'
governance binds everyone (a locked field shows no inputs, and a save refuses a change to it).
"""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connections.actors import Actor
from mappings import catalogs, unified, versions
from mappings.engine import Rule
from mappings.forms import Draft, rows_for, rules_from_post
from mappings.models import MappingVersion
from mappings.spec import default_rule, effective_rules, spec_from_rules, with_origins
from mappings.transforms import OPTIONS
from mappings.views.context import (
    connection_for,
    connection_urls,
    editor_context,
    forget_draft,
    load_draft,
    mapping_for,
    preview_context,
    sample_index,
    stash_draft,
)


@login_required
@require_GET
def mapping_index(request, connection_id: int):
    connection = connection_for(request, connection_id)
    counts = MappingVersion.objects.newest_numbers(connection)
    entities = [(entity, counts.get(entity.name, 0)) for entity in unified.ENTITIES.values()]
    return render(
        request,
        "mappings/mapping_index.html",
        {
            "connection": connection,
            "entities": entities,
            "supported": catalogs.is_supported(connection.system),
        },
    )


def draft_of(catalog, spec: dict) -> Draft:
    return Draft(with_origins(catalog, effective_rules(catalog, spec)), [], {}, {})


def resolutions_in(post) -> dict[str, str]:
    return {
        key.removeprefix("resolve."): value
        for key, value in post.items()
        if key.startswith("resolve.")
    }


@login_required
@require_GET
def editor(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    sample = sample_index(request, mapping.catalog)
    token = request.GET.get("draft")
    kept = load_draft(request, token, connection=mapping.connection.pk, entity=entity)
    if token and kept is None:
        messages.info(request, "That draft is no longer kept: this is the mapping as saved.")
    if kept is None:
        draft = draft_of(mapping.catalog, mapping.spec)
        context = editor_context(request, mapping, draft, base_number=mapping.number, sample=sample)
        return render(request, "mappings/editor.html", context)
    return render(request, "mappings/editor.html", kept_draft_context(request, mapping, kept))


def kept_draft_context(request, mapping, kept: dict) -> dict:
    """A conflict or a confirmation, recomputed from the kept draft against what is saved now."""
    post = kept["post"]
    spec = spec_from_rules(mapping.catalog, rules_from_post(mapping.catalog, post).rules)
    base_number = kept["base_number"]
    found = versions.preflight(
        mapping.connection,
        mapping.catalog.entity,
        spec,
        base_number=base_number,
        resolutions=resolutions_in(post),
    )
    merge = found.merge
    shown = merge.spec if merge is not None else found.spec
    extra: dict = {
        "note": post.get("note", ""),
        "draft_token": kept.get("token", ""),
        # Choices already made on a conflict travel on with the draft to its confirmation.
        "kept_resolutions": resolutions_in(post),
    }
    if merge is not None and not merge.is_clean:
        extra |= {
            "conflict": mapping.version,
            "opened_number": base_number,
            "conflicts": [
                {
                    "key": conflict.key,
                    "theirs": versions.describe_entry(conflict.theirs, conflict.key),
                    "mine": versions.describe_entry(conflict.mine, conflict.key),
                    "chosen": post.get(f"resolve.{conflict.key}", ""),
                }
                for conflict in merge.conflicts
            ],
            "theirs_changed": merge.theirs_changed,
        }
    elif found.breakages:
        extra |= {
            "breakages": found.breakages,
            "confirm_token": found.token,
            "live_note": found.live_note,
            "merged": merge,
        }
    context = editor_context(
        request,
        mapping,
        draft_of(mapping.catalog, shown),
        base_number=base_number,
        sample=sample_index(request, mapping.catalog),
        **extra,
    )
    return context


@login_required
@require_POST
def preview(request, connection_id: int, entity: str):
    """The draft as typed so far: validation per row and the sample mapped, for htmx to swap in."""
    mapping = mapping_for(request, connection_id, entity)
    draft = rules_from_post(mapping.catalog, request.POST)
    context = preview_context(mapping.catalog, draft, sample_index(request, mapping.catalog))
    context |= {"oob": True, "urls": connection_urls(mapping.connection, entity)}
    return render(request, "mappings/_preview.html", context)


@login_required
@require_GET
def custom_field_row(request, connection_id: int, entity: str):
    """A blank custom-field row for the editor to append."""
    mapping = mapping_for(request, connection_id, entity)
    # A fresh number per row, so rows added in any order never share form names.
    index = secrets.randbelow(10**9)
    row = rows_for(mapping.catalog, [Rule("", origin="custom")], {})[0]
    row.index = index
    return render(
        request,
        "mappings/_custom_row.html",
        {
            "row": row,
            "catalog": mapping.catalog,
            "types": unified.FieldType.choices,
            "governance": mapping.catalog.governance,
        },
    )


@login_required
@require_GET
def field_row(request, connection_id: int, entity: str):
    """One unified field's row back on the system default ("Reset to the system default")."""
    mapping = mapping_for(request, connection_id, entity)
    key = request.GET.get("key", "")
    if key not in unified.entity(entity).by_key:
        raise Http404("No such field.")
    rules = [default_rule(mapping.catalog, k) for k in unified.entity(entity).by_key]
    rows = rows_for(mapping.catalog, rules, {})
    row = next(row for row in rows if row.key == key)
    return render(
        request,
        "mappings/_field_row.html",
        {
            "row": row,
            "types": unified.FieldType.choices,
            "options": OPTIONS,
            "scope": "connection",
            "urls": {"field_row": request.path},
            "just_reset": True,
        },
    )


@login_required
@require_GET
def catalog_search(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    query = request.GET.get("q", "")[:100]
    return render(
        request,
        "mappings/_catalog.html",
        {"fields": mapping.catalog.search(query), "query": query},
    )


@login_required
@require_http_methods(["GET", "POST"])
def save(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    editor_url = reverse("mapping_editor", args=[mapping.connection.pk, entity])
    if request.method == "GET":
        # A reload of a page this URL answered: show the editor rather than an empty 405.
        return redirect(editor_url)
    draft = rules_from_post(mapping.catalog, request.POST)
    spec = spec_from_rules(mapping.catalog, draft.rules)
    sample = sample_index(request, mapping.catalog)
    try:
        base_number = int(request.POST.get("base_number", ""))
    except ValueError:
        base_number = -1
    kept = {"connection": mapping.connection.pk, "entity": entity, "base_number": base_number}
    refused = dict(draft.form_errors)
    try:
        if refused:
            raise versions.InvalidMapping(refused)
        version = versions.save(
            mapping.connection,
            entity,
            spec,
            base_number=base_number,
            actor=Actor.from_request(request),
            note=request.POST.get("note", "").strip(),
            confirm=request.POST.get("confirm", ""),
            resolutions=resolutions_in(request.POST),
        )
    except versions.InvalidMapping:
        context = editor_context(request, mapping, draft, base_number=base_number, sample=sample)
        context |= {"save_refused": True, "note": request.POST.get("note", "")}
        return render(request, "mappings/editor.html", context, status=422)
    except (versions.Conflict, versions.NeedsConfirmation) as stopped:
        kind = "conflict" if isinstance(stopped, versions.Conflict) else "confirm"
        token = stash_draft(request, kind, request.POST, **kept)
        return redirect(f"{editor_url}?draft={token}&sample={sample}")
    if request.POST.get("draft_token"):
        forget_draft(request, request.POST["draft_token"])
    merge = version.merge
    if merge is not None:
        theirs = ", ".join(k for k in merge.theirs_changed if k not in merge.mine_changed)
        messages.success(
            request,
            f"Saved version {version.number}, merged with the version saved meanwhile"
            + (f" (their changes kept: {theirs})." if theirs else "."),
        )
    else:
        messages.success(request, f"Saved version {version.number}.")
    return redirect(f"{editor_url}?sample={sample}")
