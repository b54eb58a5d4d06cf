"""The issues queue, and the audited actions support takes on an issue."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connections.actors import Actor
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import issues
from monitoring.forms import IssueNoteForm
from monitoring.models import Issue, IssueState

SORTS = {
    "severity": [F("severity").desc(), "opened_at"],
    "age": ["opened_at", F("severity").desc()],
}
STATES = {
    "unresolved": [IssueState.OPEN, IssueState.ACKNOWLEDGED],
    "open": [IssueState.OPEN],
    "acknowledged": [IssueState.ACKNOWLEDGED],
    "resolved": [IssueState.RESOLVED],
}


@staff_required
def issue_list(request):
    state = request.GET.get("state") if request.GET.get("state") in STATES else "unresolved"
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "severity"
    rows = (
        scoped(Issue.objects.for_queue(), request.user)
        .filter(state__in=STATES[state])
        .order_by(*SORTS[sort], "pk")
    )
    if request.GET.get("mine"):
        rows = rows.filter(assignee=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/issue_list.html",
        {"page": page, "state": state, "sort": sort, "states": list(STATES)},
    )


def _issue(request, issue_id: int) -> Issue:
    return get_scoped_or_404(
        Issue.objects.select_related("connection__customer", "assignee"),
        request.user,
        pk=issue_id,
    )


def _answer(request, issue: Issue, *, error: str = "", note_form=None):
    """htmx gets the issue panel re-rendered; a plain form post goes back where it came from."""
    if request.htmx:
        return render(
            request,
            "monitoring/_issue_panel.html",
            {
                "issue": issue,
                "connection": issue.connection,
                "notes": list(issue.notes.select_related("author")),
                "note_form": note_form or IssueNoteForm(),
                "issue_error": error,
            },
            status=200,
        )
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)  # a path, never a view name to reverse
    return redirect("connection_detail", connection_id=issue.connection_id)


@require_POST
@staff_required
def issue_acknowledge(request, issue_id: int):
    issue = _issue(request, issue_id)
    try:
        issues.acknowledge(issue, actor=Actor.from_request(request))
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error))
    return _answer(request, issue)


@require_POST
@staff_required
def issue_assign(request, issue_id: int):
    issue = _issue(request, issue_id)
    try:
        issues.assign(issue, assignee=request.user, actor=Actor.from_request(request))
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error))
    return _answer(request, issue)


@require_POST
@staff_required
def issue_note(request, issue_id: int):
    issue = _issue(request, issue_id)
    form = IssueNoteForm(request.POST)
    if not form.is_valid():
        return _answer(request, issue, error="Write a note of at most 2000 characters.",
                       note_form=form)  # fmt: skip
    try:
        issues.add_note(issue, body=form.cleaned_data["body"], actor=Actor.from_request(request))
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error), note_form=form)
    return _answer(request, issue)
