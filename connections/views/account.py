"""The signed-in user's own settings: the time zone every page shows times in."""

from __future__ import annotations

import zoneinfo
from functools import cache

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from connections import audit
from connections.actors import Actor


@cache
def zone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(label="Time zone", choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(name, name.replace("_", " ")) for name in zone_names()]


@login_required
def account_time_zone(request):
    user = request.user
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            before, user.time_zone = user.time_zone, form.cleaned_data["time_zone"]
            user.save(update_fields=["time_zone"])
            audit.record(
                "user.time_zone_changed",
                user,
                actor=Actor.from_request(request),
                customer=user.customer,
                changes={"before": before, "after": user.time_zone},
            )
            messages.success(request, f"Times are now shown in {user.time_zone}.")
            return redirect("account_time_zone")
        status = 400
    else:
        form, status = TimeZoneForm(initial={"time_zone": user.time_zone}), 200
    return render(request, "connections/account_time_zone.html", {"form": form}, status=status)
