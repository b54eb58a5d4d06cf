"""The issues queue, and the audited actions support takes on a problem."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from connections.permissions import staff_required
from connections.tenancy import get_scoped_or_404, scoped
from monitoring import problems
from monitoring.forms import ProblemNoteForm
from monitoring.models import Problem, ProblemState

SORTS = {
    "severity": [F("severity").desc(), "opened_at"],
    "age": ["opened_at", F("severity").desc()],
}
STATES = {
    "unresolved": [ProblemState.OPEN, ProblemState.ACKNOWLEDGED],
    "open": [ProblemState.OPEN],
    "acknowledged": [ProblemState.ACKNOWLEDGED],
    "resolved": [ProblemState.RESOLVED],
}


@staff_required
def problem_list(request):
    state = request.GET.get("state") if request.GET.get("state") in STATES else "unresolved"
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "severity"
    rows = (
        scoped(Problem.objects.for_queue(), request.user)
        .filter(state__in=STATES[state])
        .order_by(*SORTS[sort], "pk")
    )
    if request.GET.get("mine"):
        rows = rows.filter(assignee=request.user)
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/problem_list.html",
        {"page": page, "state": state, "sort": sort, "states": list(STATES)},
    )


def _problem(request, problem_id: int) -> Problem:
    return get_scoped_or_404(
        Problem.objects.select_related("connection__customer", "assignee"),
        request.user,
        pk=problem_id,
    )


def _answer(request, problem: Problem, *, error: str = "", note_form=None):
    """htmx gets the problem panel re-rendered; a plain form post goes back where it came from."""
    if request.htmx:
        return render(
            request,
            "monitoring/_problem_panel.html",
            {
                "problem": problem,
                "connection": problem.connection,
                "notes": list(problem.notes.select_related("author")),
                "note_form": note_form or ProblemNoteForm(),
                "problem_error": error,
            },
            status=200,
        )
    if error:
        messages.error(request, error)
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("connection_detail", connection_id=problem.connection_id)


@require_POST
@staff_required
def problem_acknowledge(request, problem_id: int):
    problem = _problem(request, problem_id)
    try:
        problems.acknowledge(problem, actor=request.user, request=request)
    except problems.ProblemActionError as error:
        return _answer(request, problem, error=str(error))
    return _answer(request, problem)


@require_POST
@staff_required
def problem_assign(request, problem_id: int):
    problem = _problem(request, problem_id)
    try:
        problems.assign(problem, assignee=request.user, request=request)
    except problems.ProblemActionError as error:
        return _answer(request, problem, error=str(error))
    return _answer(request, problem)


@require_POST
@staff_required
def problem_note(request, problem_id: int):
    problem = _problem(request, problem_id)
    form = ProblemNoteForm(request.POST)
    if not form.is_valid():
        return _answer(request, problem, error="Write a note of at most 2000 characters.",
                       note_form=form)  # fmt: skip
    try:
        problems.add_note(
            problem, author=request.user, body=form.cleaned_data["body"], request=request
        )
    except problems.ProblemActionError as error:
        return _answer(request, problem, error=str(error), note_form=form)
    return _answer(request, problem)
