"""Where to go after an action: the page it was started from, when that is safe to return to."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def next_page(request, default: str) -> str:
    """The `next` the form or link carried if it is a path on this site, else `default`.

    Only a path: given to `redirect()`, anything else could be reversed as a view name (a 500)
    or lead off the site.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default
