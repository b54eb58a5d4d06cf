"""An incident's page (its member issues) and acknowledging or assigning it as one."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from connections.actors import Actor
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import incidents
from monitoring.models import Incident, Issue


def _incident(request, incident_id: int) -> Incident:
    return get_scoped_or_404(
        Incident.objects.select_related("customer", "assignee", "acknowledged_by"),
        request.user,
        pk=incident_id,
    )


@staff_required
def incident_detail(request, incident_id: int):
    incident = _incident(request, incident_id)
    members = (
        scoped(Issue.objects.for_queue(), request.user)
        .filter(incident=incident)
        .order_by("state", "-severity", "opened_at")
    )
    return render(
        request,
        "monitoring/incident_detail.html",
        {"incident": incident, "members": list(members[:200]), "member_total": members.count()},
    )


@require_POST
@staff_required
def incident_acknowledge(request, incident_id: int):
    incident = _incident(request, incident_id)
    try:
        count = incidents.acknowledge(incident, actor=Actor.from_request(request))
    except incidents.IncidentActionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Incident acknowledged, with its {count} open issues.")
    return redirect("incident_detail", incident_id=incident.pk)


@require_POST
@staff_required
def incident_assign(request, incident_id: int):
    incident = _incident(request, incident_id)
    assignee = None if request.POST.get("to") == "nobody" else request.user
    try:
        count = incidents.assign(incident, assignee=assignee, actor=Actor.from_request(request))
    except incidents.IncidentActionError as error:
        messages.error(request, str(error))
    else:
        who = "you" if assignee else "nobody"
        messages.success(request, f"Incident and its {count} issues assigned to {who}.")
    return redirect("incident_detail", incident_id=incident.pk)
