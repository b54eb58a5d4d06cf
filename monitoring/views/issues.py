"""The issues queue, an issue's page, and the audited actions support takes on issues."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from connections.actors import Actor
from connections.next_page import next_page
from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import issue_queue, issues
from monitoring.forms import BulkForm, IssueNoteForm, MuteForm, ResolveForm
from monitoring.models import Issue, IssueEvent, Notification


@staff_required
def issue_list(request):
    board = issue_queue.queue(request.user, request.GET)
    return render(
        request,
        "monitoring/issue_list.html",
        {
            "board": board,
            "page": board.page,
            "filterset": board.filterset,
            "incidents": issue_queue.open_incidents(request.user),
            "muted_count": issue_queue.muted_count(request.user),
            "bulk_form": BulkForm(),
            "now": timezone.now(),
        },
    )


def _issue(request, issue_id: int) -> Issue:
    return get_scoped_or_404(
        Issue.objects.select_related("connection__customer", "assignee", "incident"),
        request.user,
        pk=issue_id,
    )


def panel_context(issue: Issue, **extra) -> dict:
    return {
        "issue": issue,
        "connection": issue.connection,
        "notes": list(issue.notes.select_related("author")),
        "note_form": extra.pop("note_form", None) or IssueNoteForm(),
        "mute_form": extra.pop("mute_form", None) or MuteForm(),
        "resolve_form": extra.pop("resolve_form", None) or ResolveForm(),
        **extra,
    }


@staff_required
def issue_detail(request, issue_id: int):
    issue = _issue(request, issue_id)
    history = scoped(IssueEvent.objects.select_related("actor"), request.user).filter(issue=issue)
    notices = scoped(Notification.objects.for_listing(), request.user).filter(
        connection=issue.connection, created_at__gte=issue.opened_at
    )
    return render(
        request,
        "monitoring/issue_detail.html",
        panel_context(issue, history=list(history), notices=list(notices[:20])),
    )


def _answer(request, issue: Issue, *, error: str = "", success: str = "", **forms):
    """htmx gets the issue panel re-rendered; a plain form post goes back where it came from."""
    if request.htmx:
        context = panel_context(issue, issue_error=error, issue_success=success, **forms)
        return render(request, "monitoring/_issue_panel.html", context)
    if error:
        messages.error(request, error)
    elif success:
        messages.success(request, success)
    return HttpResponseRedirect(
        next_page(request, reverse("issue_detail", kwargs={"issue_id": issue.pk}))
    )


def _act(request, issue_id: int, action, success: str):
    issue = _issue(request, issue_id)
    try:
        action(issue, Actor.from_request(request))
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error))
    issue.refresh_from_db()
    return _answer(request, issue, success=success)


@require_POST
@staff_required
def issue_acknowledge(request, issue_id: int):
    return _act(request, issue_id, lambda i, a: issues.acknowledge(i, actor=a), "Acknowledged.")


@require_POST
@staff_required
def issue_assign(request, issue_id: int):
    return _act(
        request,
        issue_id,
        lambda i, a: issues.assign(i, assignee=request.user, actor=a),
        "Assigned to you.",
    )


@require_POST
@staff_required
def issue_unassign(request, issue_id: int):
    return _act(request, issue_id, lambda i, a: issues.unassign(i, actor=a), "Unassigned.")


@require_POST
@staff_required
def issue_unmute(request, issue_id: int):
    return _act(request, issue_id, lambda i, a: issues.unmute(i, actor=a), "Unmuted.")


@require_POST
@staff_required
def issue_mute(request, issue_id: int):
    issue = _issue(request, issue_id)
    form = MuteForm(request.POST)
    if not form.is_valid():
        return _answer(request, issue, error=_first_error(form), mute_form=form)
    try:
        issues.mute(issue, until=form.cleaned_data["until"], actor=Actor.from_request(request))
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error), mute_form=form)
    return _answer(request, issue, success="Muted: it leaves the queue until then.")


@require_POST
@staff_required
def issue_resolve(request, issue_id: int):
    issue = _issue(request, issue_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _answer(request, issue, error=_first_error(form), resolve_form=form)
    try:
        issue = issues.resolve(
            issue, note=form.cleaned_data["note"], actor=Actor.from_request(request)
        )
    except issues.IssueActionError as error:
        return _answer(request, issue, error=str(error), resolve_form=form)
    return _answer(request, issue, success="Resolved.")


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


@require_POST
@staff_required
def issue_bulk(request):
    """Acknowledge, assign or mute the ticked issues at once; back to the same filtered queue."""
    chosen = issue_queue.selected(request.user, request.POST.getlist("issue"))
    form = BulkForm(request.POST, visible_ids=[issue.pk for issue in chosen])
    if not chosen:
        messages.error(request, "Tick at least one issue first.")
    elif not form.is_valid():
        messages.error(request, _first_error(form))
    else:
        result = issues.bulk(
            chosen,
            form.cleaned_data["action"],
            actor=Actor.from_request(request),
            until=form.cleaned_data.get("until"),
        )
        (messages.warning if result.skipped else messages.success)(request, result.message)
    return HttpResponseRedirect(next_page(request, reverse("issue_list")))


def _first_error(form) -> str:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        return f"{label}: {errors[0]}" if label and field != "__all__" else errors[0]
    return "Check the form."
