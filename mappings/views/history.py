"""A connection mapping's history: versions, the diff between any two, rollback."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from connections.actors import Actor
from connections.tenancy import get_scoped_or_404
from mappings import unified, versions
from mappings.models import MappingVersion
from mappings.views.context import mapping_for


def chosen_pair(request, numbers: list[int]) -> tuple[int, int]:
    """The two versions to compare (`from`, `to`): by default the newest and the one before."""

    def chosen(name, fallback):
        try:
            number = int(request.GET.get(name, fallback))
        except ValueError:
            return fallback
        return number if number in numbers else fallback

    newer = chosen("to", numbers[0])
    older = chosen("from", numbers[1] if len(numbers) > 1 else 0)
    return older, newer


@login_required
@require_GET
def history(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    history_versions = list(MappingVersion.objects.of(mapping.connection, entity).for_history())
    numbers = [version.number for version in history_versions] + [0]
    specs = {version.number: version.spec for version in history_versions} | {0: {}}
    older, newer = chosen_pair(request, numbers)
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
    try:
        version = versions.rollback(target, actor=Actor.from_request(request))
    except versions.InvalidMapping as invalid:
        messages.error(request, rollback_refused(invalid))
    else:
        messages.success(
            request, f"Rolled back to version {target.number}: saved as version {version.number}."
        )
    return redirect("mapping_history", target.connection_id, target.entity)


def rollback_refused(invalid) -> str:
    reasons = "; ".join(f"{key}: {' '.join(errors)}" for key, errors in invalid.errors.items())
    return f"Not rolled back: that version no longer fits the system's rules ({reasons})."


@login_required
@require_POST
def restore_defaults(request, connection_id: int, entity: str):
    mapping = mapping_for(request, connection_id, entity)
    try:
        version = versions.restore_defaults(
            mapping.connection, entity, actor=Actor.from_request(request)
        )
    except versions.InvalidMapping as invalid:
        messages.error(request, rollback_refused(invalid))
    else:
        messages.success(
            request, f"Rolled back to the system defaults: saved as version {version.number}."
        )
    return redirect("mapping_history", mapping.connection.pk, entity)
