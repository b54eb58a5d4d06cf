"""A mapping in and out as JSON (export, import) and copied from another connection.

Imports and copies are saves like any other: validated (governance included) and checked on the
records, with a confirmation when a field would start failing.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from connections.actors import Actor
from connections.tenancy import get_scoped_or_404
from mappings import versions
from mappings.forms import ImportForm
from mappings.spec import EXPORT_FORMAT, SpecError, exported, parse_spec
from mappings.views.context import editor_context, mapping_for
from mappings.views.editor import draft_of


@login_required
@require_GET
def export(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    document = exported(mapping.catalog, mapping.spec, number=mapping.number)
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False), content_type="application/json"
    )
    filename = f"{mapping.connection.upstream_id}-{entity}-v{mapping.number}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_errors(mapping, document) -> tuple[dict | None, dict[str, list[str]]]:
    """The spec in an exported document, or the errors per field that stop it being imported."""
    if not isinstance(document, dict):
        return None, {"": ["The file must hold a JSON object."]}
    expected = {"format": EXPORT_FORMAT, "entity": mapping.catalog.entity}
    wrong = {
        key: [f"Expected {value!r}, found {document.get(key)!r}."]
        for key, value in expected.items()
        if document.get(key) != value
    }
    if document.get("system") != mapping.connection.system:
        wrong["system"] = [
            f"This mapping is for {document.get('system')!r}; "
            f"the connection is {mapping.connection.system!r}."
        ]
    if wrong:
        return None, wrong
    try:
        spec = parse_spec(document)
    except SpecError as exc:
        return None, exc.errors
    return spec, {}


def refused_page(request, mapping, status: int, **extra):
    context = editor_context(
        request,
        mapping,
        draft_of(mapping.catalog, mapping.spec),
        base_number=mapping.number,
        **extra,
    )
    return render(request, "mappings/editor.html", context, status=status)


@login_required
@require_POST
def import_mapping(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    form = ImportForm(request.POST, request.FILES)
    errors: dict[str, list[str]] = {}
    if form.is_valid():
        spec, errors = import_errors(mapping, form.cleaned_data["document"])
        if spec is not None:
            try:
                version = versions.save(
                    mapping.connection,
                    entity,
                    spec,
                    base_number=None,
                    actor=Actor.from_request(request),
                    note="Imported from JSON",
                    action="mapping.import",
                    confirm=request.POST.get("confirm", ""),
                )
            except versions.InvalidMapping as invalid:
                errors = invalid.errors
            except versions.NeedsConfirmation as stopped:
                document = json.dumps(form.cleaned_data["document"], indent=2)
                form = ImportForm(initial={"mapping_json": document})
                return refused_page(
                    request,
                    mapping,
                    422,
                    import_form=form,
                    import_breakages=stopped.breakages,
                    import_confirm=stopped.token,
                )
            else:
                messages.success(request, f"Imported as version {version.number}.")
                return redirect("mapping_editor", mapping.connection.pk, entity)
    return refused_page(
        request, mapping, 422, import_form=form, import_errors=sorted(errors.items())
    )


@login_required
@require_POST
def copy_mapping(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    source = get_scoped_or_404(
        versions.copyable_connections(mapping.connection, request.user),
        request.user,
        pk=request.POST.get("source") or 0,
    )
    source_mapping = versions.current(source, entity)
    try:
        version = versions.save(
            mapping.connection,
            entity,
            source_mapping.spec,
            base_number=None,
            actor=Actor.from_request(request),
            note=f"Copied from {source.display_name} v{source_mapping.number}",
            action="mapping.copy",
            confirm=request.POST.get("confirm", ""),
        )
    except versions.InvalidMapping as invalid:
        reasons = "; ".join(f"{key}: {' '.join(errs)}" for key, errs in invalid.errors.items())
        messages.error(request, f"Not copied: that mapping does not fit here ({reasons}).")
    except versions.NeedsConfirmation as stopped:
        return refused_page(
            request,
            mapping,
            422,
            copy_breakages=stopped.breakages,
            copy_confirm=stopped.token,
            copy_source=source,
        )
    else:
        messages.success(request, f"Copied from {source.display_name}: version {version.number}.")
    return redirect("mapping_editor", mapping.connection.pk, entity)
