"""The mapping editor, its live preview, history, rollback, export, import and copy.

Views are thin: fetch the connection through tenancy (a foreign id is a 404), read the draft from
the form, call validation, the engine and `versions`, render. Members of the connection's customer
and platform staff may edit.
"""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from connections.actors import Actor
from connections.models import Connection
from connections.tenancy import get_scoped_or_404
from mappings import catalogs, unified, versions
from mappings.engine import Rule, compile_mapping
from mappings.forms import ImportForm, rows_for, rules_from_post
from mappings.models import MappingVersion
from mappings.spec import EXPORT_FORMAT, SpecError, exported, parse_spec, spec_from_rules
from mappings.validation import validate


def connection_for(request, connection_id: int) -> Connection:
    return get_scoped_or_404(Connection.objects.with_customer(), request.user, pk=connection_id)


def mapping_for(request, connection_id: int, entity: str) -> versions.CurrentMapping:
    """The connection's current mapping of `entity`; 404 for a foreign id or an unknown entity."""
    connection = connection_for(request, connection_id)
    if entity not in unified.ENTITIES or not catalogs.is_supported(connection.system):
        raise Http404("No such mapping.")
    return versions.current(connection, entity)


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


def sample_index(request, catalog) -> int:
    try:
        index = int(request.POST.get("sample", request.GET.get("sample", 0)))
    except ValueError:
        index = 0
    return index if 0 <= index < len(catalog.samples) else 0


def preview_context(catalog, rules, sample: int) -> dict:
    """The preview beside the editor: one sample raw, and mapped by the draft through the engine."""
    errors = validate(catalog, rules)
    raw = catalog.samples[sample]
    try:
        mapped, problems = compile_mapping(catalog.entity, rules)(raw)
    except ValueError:
        mapped, problems = None, []
    return {
        "errors": errors,
        "raw_json": json.dumps(raw, indent=2, ensure_ascii=False),
        "mapped_json": json.dumps(mapped, indent=2, ensure_ascii=False)
        if mapped is not None
        else "",
        "problems": problems,
        "sample": sample,
    }


def editor_context(request, mapping, rules, *, base_number, sample=0, **extra) -> dict:
    catalog = mapping.catalog
    preview = preview_context(catalog, rules, sample)
    return {
        "connection": mapping.connection,
        "mapping": mapping,
        "catalog": catalog,
        "entity": unified.entity(catalog.entity),
        "rows": rows_for(catalog, rules, preview["errors"]),
        "base_number": base_number,
        "samples": list(enumerate(catalog.sample_titles)),
        "copy_sources": versions.copyable_connections(mapping.connection, request.user),
        "import_form": extra.pop("import_form", None) or ImportForm(),
        "types": unified.FieldType.choices,
        **preview,
        **extra,
    }


@login_required
@require_GET
def editor(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    context = editor_context(
        request,
        mapping,
        mapping.rules(),
        base_number=mapping.number,
        sample=sample_index(request, mapping.catalog),
    )
    return render(request, "mappings/editor.html", context)


@login_required
@require_POST
def preview(request, connection_id: int, entity: str):
    """The draft as typed so far: validation per row and the sample mapped, for htmx to swap in."""
    mapping = mapping_for(request, connection_id, entity)
    rules, custom_indexes = rules_from_post(mapping.catalog, request.POST)
    context = preview_context(mapping.catalog, rules, sample_index(request, mapping.catalog))
    context["rows"] = rows_for(mapping.catalog, rules, context["errors"], custom_indexes)
    context["oob"] = True
    return render(request, "mappings/_preview.html", context)


@login_required
@require_GET
def custom_field_row(request, connection_id: int, entity: str):
    """A blank custom-field row for the editor to append."""
    mapping = mapping_for(request, connection_id, entity)
    try:
        index = max(0, int(request.GET.get("index", 0)))
    except ValueError:
        index = 0
    row = rows_for(mapping.catalog, [Rule("", origin="custom")], {})[0]
    row.index = index
    return render(
        request,
        "mappings/_custom_row.html",
        {"row": row, "catalog": mapping.catalog, "types": unified.FieldType.choices},
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
@require_POST
def save(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    rules, _ = rules_from_post(mapping.catalog, request.POST)
    spec = spec_from_rules(mapping.catalog, rules)
    sample = sample_index(request, mapping.catalog)
    try:
        base_number = int(request.POST.get("base_number", ""))
    except ValueError:
        base_number = -1
    try:
        version = versions.save(
            mapping.connection,
            entity,
            spec,
            base_number=base_number,
            actor=Actor.from_request(request),
            note=request.POST.get("note", "").strip(),
        )
    except versions.InvalidMapping:
        context = editor_context(request, mapping, rules, base_number=base_number, sample=sample)
        context["save_refused"] = True
        return render(request, "mappings/editor.html", context, status=422)
    except versions.Conflict as conflict:
        theirs = conflict.latest
        base_spec = MappingVersion.objects.spec_at(mapping.connection, entity, base_number)
        context = editor_context(
            request,
            mapping,
            rules,
            base_number=theirs.number if theirs else 0,
            sample=sample,
            conflict=theirs,
            their_changes=versions.diff(mapping.catalog, base_spec, theirs.spec if theirs else {}),
            my_changes=versions.diff(mapping.catalog, base_spec, spec),
            opened_number=base_number,
        )
        return render(request, "mappings/editor.html", context, status=409)
    messages.success(request, f"Saved version {version.number}.")
    url = reverse("mapping_editor", args=[mapping.connection.pk, entity])
    return redirect(f"{url}?sample={sample}")


@login_required
@require_GET
def history(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    history_versions = list(MappingVersion.objects.of(mapping.connection, entity).for_history())
    numbers = [version.number for version in history_versions] + [0]
    specs = {version.number: version.spec for version in history_versions} | {0: {}}

    def chosen(name, fallback):
        try:
            number = int(request.GET.get(name, fallback))
        except ValueError:
            return fallback
        return number if number in specs else fallback

    newer = chosen("to", numbers[0])
    older = chosen("from", numbers[1] if len(numbers) > 1 else 0)
    return render(
        request,
        "mappings/history.html",
        {
            "connection": mapping.connection,
            "mapping": mapping,
            "entity": unified.entity(entity),
            "versions": history_versions,
            "numbers": numbers,
            "older": older,
            "newer": newer,
            "changes": versions.diff(mapping.catalog, specs[older], specs[newer]),
        },
    )


@login_required
@require_POST
def rollback(request, version_id: int):
    target = get_scoped_or_404(
        MappingVersion.objects.select_related("connection__customer"), request.user, pk=version_id
    )
    version = versions.rollback(target, actor=Actor.from_request(request))
    messages.success(
        request, f"Rolled back to version {target.number}: saved as version {version.number}."
    )
    return redirect("mapping_history", target.connection_id, target.entity)


@login_required
@require_POST
def restore_defaults(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    version = versions.restore_defaults(
        mapping.connection, entity, actor=Actor.from_request(request)
    )
    messages.success(
        request, f"Rolled back to the system defaults: saved as version {version.number}."
    )
    return redirect("mapping_history", mapping.connection.pk, entity)


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
                )
            except versions.InvalidMapping as invalid:
                errors = invalid.errors
            else:
                messages.success(request, f"Imported as version {version.number}.")
                return redirect("mapping_editor", mapping.connection.pk, entity)
    context = editor_context(
        request, mapping, mapping.rules(), base_number=mapping.number, import_form=form
    )
    context["import_errors"] = sorted(errors.items())
    return render(request, "mappings/editor.html", context, status=422)


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
        )
    except versions.InvalidMapping:
        messages.error(request, "That mapping does not fit this connection's catalog.")
    else:
        messages.success(request, f"Copied from {source.display_name}: version {version.number}.")
    return redirect("mapping_editor", mapping.connection.pk, entity)
