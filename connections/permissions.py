"""Role checks for views: who may open a page at all (what they see in it is tenancy's job)."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def role_required(check):
    def decorator(view):
        @functools.wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not check(request.user):
                # Customers are not told that staff pages exist; staff get a plain 403.
                if not request.user.is_platform_staff:
                    raise Http404("No such page.")
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


admin_required = role_required(lambda user: user.is_platform_admin)
staff_required = role_required(lambda user: user.is_platform_staff)
