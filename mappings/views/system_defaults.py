"""System defaults, for platform admins: per system and entity, the default mapping every
connection inherits and the governance customers work under; versioned, diffed, rolled back."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from connections.actors import Actor
from connections.permissions import admin_required
from connections.systems import System
from mappings import catalogs, checks, system_defaults, unified, versions
from mappings.forms import Draft, governance_from_post, rules_from_post
from mappings.governance import CUSTOM_POLICIES
from mappings.models import SystemDefaultVersion
from mappings.spec import effective_rules, spec_from_rules, with_origins
from mappings.transforms import OPTIONS
from mappings.views.context import (
    forget_draft,
    load_draft,
    preview_context,
    sample_index,
    stash_draft,
)
from mappings.views.history import chosen_pair


def default_for(system: str, entity: str) -> system_defaults.CurrentDefault:
    if entity not in unified.ENTITIES or not catalogs.is_supported(system):
        raise Http404("No such system default.")
    return system_defaults.current(system, entity)


@admin_required
@require_GET
def system_index(request):
    systems = []
    for value, label in System.choices:
        if not catalogs.is_supported(value):
            continue
        numbers = SystemDefaultVersion.objects.newest_numbers(value)
        entities = [(entity, numbers.get(entity.name, 0)) for entity in unified.ENTITIES.values()]
        systems.append((value, label, entities))
    return render(request, "mappings/system_index.html", {"systems": systems})


def system_urls(system: str, entity: str) -> dict:
    args = [system, entity]
    return {
        "editor": reverse("system_default_editor", args=args),
        "preview": reverse("system_default_preview", args=args),
        "save": reverse("system_default_save", args=args),
        "history": reverse("system_default_history", args=args),
        "catalog": None,
    }


def shown_catalog(default, governance):
    """The catalog as the system editor shows it: the catalog's defaults, this governance."""
    return default.base.with_system_default({}, governance, 0)


def system_preview(default, draft, governance, sample: int) -> dict:
    catalog = shown_catalog(default, governance)
    context = preview_context(catalog, draft, sample, governed=False)
    spec = spec_from_rules(default.base, draft.rules)
    changed = [
        key
        for key in unified.entity(default.entity).by_key
        if spec["overrides"].get(key) != default.spec["overrides"].get(key)
    ]
    context["reach"] = system_defaults.reach(default.system, default.entity, changed)
    context["changed"] = changed
    errors = system_defaults.validate(default.base, spec, governance)
    context["general_errors"] = [
        message
        for key, messages_ in errors.items()
        if key not in unified.entity(default.entity).by_key
        for message in messages_
    ]
    return context


def system_context(request, default, draft, governance, *, base_number, **extra) -> dict:
    sample = sample_index(request, default.base)
    return {
        "scope": "system",
        "system_label": System(default.system).label,
        "default": default,
        "catalog": default.base,
        "governance": governance,
        "policies": CUSTOM_POLICIES.items(),
        "entity": unified.entity(default.entity),
        "base_number": base_number,
        "next_number": default.number + 1,
        "samples": list(enumerate(default.base.sample_titles)),
        "types": unified.FieldType.choices,
        "options": OPTIONS,
        "urls": system_urls(default.system, default.entity),
        **system_preview(default, draft, governance, sample),
        **extra,
    }


def draft_of(default, spec: dict) -> Draft:
    return Draft(with_origins(default.base, effective_rules(default.base, spec)), [], {}, {})


@admin_required
@require_GET
def system_editor(request, system: str, entity: str):
    default = default_for(system, entity)
    kept = load_draft(request, request.GET.get("draft"), system=system, entity=entity)
    if kept is None:
        context = system_context(
            request,
            default,
            draft_of(default, default.spec),
            default.governance,
            base_number=default.number,
        )
        return render(request, "mappings/editor.html", context)
    post = kept["post"]
    draft = rules_from_post(default.base, post, scope="system")
    governance = governance_from_post(post, entity)
    spec = spec_from_rules(default.base, draft.rules)
    extra = {"note": post.get("note", ""), "draft_token": kept["token"]}
    if kept["kind"] == "conflict":
        extra["conflict"] = default.version
        extra["opened_number"] = kept["base_number"]
    else:
        found = system_defaults.breakages(default, spec)
        extra |= {"breakages": found, "confirm_token": checks.confirmation(found)}
    context = system_context(
        request,
        default,
        draft_of(default, spec),
        governance,
        base_number=kept["base_number"],
        **extra,
    )
    return render(request, "mappings/editor.html", context)


@admin_required
@require_POST
def system_preview_view(request, system: str, entity: str):
    default = default_for(system, entity)
    draft = rules_from_post(default.base, request.POST, scope="system")
    governance = governance_from_post(request.POST, entity)
    context = system_preview(default, draft, governance, sample_index(request, default.base))
    context |= {"oob": True, "scope": "system"}
    return render(request, "mappings/_preview.html", context)


@admin_required
@require_http_methods(["GET", "POST"])
def system_save(request, system: str, entity: str):
    default = default_for(system, entity)
    if request.method == "GET":
        return redirect("system_default_editor", system, entity)
    draft = rules_from_post(default.base, request.POST, scope="system")
    governance = governance_from_post(request.POST, entity)
    spec = spec_from_rules(default.base, draft.rules)
    try:
        base_number = int(request.POST.get("base_number", ""))
    except ValueError:
        base_number = -1
    kept = {"system": system, "entity": entity, "base_number": base_number}
    try:
        if draft.form_errors:
            raise versions.InvalidMapping(draft.form_errors)
        version = system_defaults.save(
            system,
            entity,
            spec,
            governance,
            base_number=base_number,
            actor=Actor.from_request(request),
            note=request.POST.get("note", "").strip(),
            confirm=request.POST.get("confirm", ""),
        )
    except versions.InvalidMapping:
        context = system_context(request, default, draft, governance, base_number=base_number)
        context |= {"save_refused": True, "note": request.POST.get("note", "")}
        return render(request, "mappings/editor.html", context, status=422)
    except (system_defaults.Conflict, versions.NeedsConfirmation) as stopped:
        kind = "conflict" if isinstance(stopped, system_defaults.Conflict) else "confirm"
        token = stash_draft(request, kind, request.POST, **kept)
        return redirect(f"{reverse('system_default_editor', args=[system, entity])}?draft={token}")
    if request.POST.get("draft_token"):
        forget_draft(request, request.POST["draft_token"])
    messages.success(
        request, f"Saved system default version {version.number}: in effect for every connection."
    )
    return redirect("system_default_editor", system, entity)


@admin_required
@require_GET
def system_history(request, system: str, entity: str):
    default = default_for(system, entity)
    history_versions = list(SystemDefaultVersion.objects.of(system, entity).for_history())
    numbers = [version.number for version in history_versions] + [0]
    specs = {version.number: version.spec for version in history_versions} | {0: {}}
    older, newer = chosen_pair(request, numbers)
    return render(
        request,
        "mappings/system_history.html",
        {
            "default": default,
            "system_label": System(system).label,
            "entity": unified.entity(entity),
            "versions": history_versions,
            "numbers": numbers,
            "older": older,
            "newer": newer,
            "changes": versions.diff(default.base, specs[older], specs[newer]),
        },
    )


@admin_required
@require_POST
def system_rollback(request, default_version_id: int):
    target = get_object_or_404(SystemDefaultVersion, pk=default_version_id)
    version = system_defaults.rollback(target, actor=Actor.from_request(request))
    messages.success(
        request, f"Rolled back to version {target.number}: saved as version {version.number}."
    )
    return redirect("system_default_history", target.system, target.entity)


@admin_required
@require_POST
def system_restore(request, system: str, entity: str):
    default_for(system, entity)
    version = system_defaults.restore_catalog(system, entity, actor=Actor.from_request(request))
    messages.success(
        request, f"Rolled back to the catalog's defaults: saved as version {version.number}."
    )
    return redirect("system_default_history", system, entity)
