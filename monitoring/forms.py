from django import forms


class IssueNoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What you found or tried"}),
    )


class RequestSearchForm(forms.Form):
    request_id = forms.CharField(label="Request id", required=False, max_length=200)


class ReconnectLinkForm(forms.Form):
    valid_for = forms.TypedChoiceField(
        label="The link works for",
        choices=[(1, "1 day"), (3, "3 days"), (7, "7 days"), (14, "14 days")],
        coerce=int,
        initial=7,
    )

    def clean_valid_for(self):
        from datetime import timedelta

        return timedelta(days=self.cleaned_data["valid_for"])


MUTE_PRESETS = {"1h": 1, "4h": 4, "24h": 24, "1w": 24 * 7}


class MuteForm(forms.Form):
    """Mute (snooze) an issue until a time: a preset, or a moment in the reader's zone."""

    preset = forms.ChoiceField(
        label="Mute for",
        required=False,
        choices=[("", "Choose…"), ("1h", "1 hour"), ("4h", "4 hours"), ("24h", "24 hours"),
                 ("1w", "1 week")],
    )  # fmt: skip
    until = forms.DateTimeField(
        label="or until",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean(self):
        from datetime import timedelta

        from django.utils import timezone

        cleaned = super().clean()
        preset, until = cleaned.get("preset"), cleaned.get("until")
        if preset:
            cleaned["until"] = timezone.now() + timedelta(hours=MUTE_PRESETS[preset])
        elif until is None and not self.errors:
            raise forms.ValidationError("Choose how long to mute it, or until when.")
        return cleaned


class ResolveForm(forms.Form):
    note = forms.CharField(
        label="Why resolve it by hand",
        max_length=2000,
        widget=forms.Textarea(
            attrs={"rows": 2, "placeholder": "e.g. plant retired, customer informed"}
        ),
    )


class BulkForm(MuteForm):
    action = forms.ChoiceField(
        choices=[("acknowledge", "Acknowledge"), ("assign", "Assign to me"), ("mute", "Mute")]
    )
    issue = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)

    def __init__(self, *args, visible_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issue"].choices = [(pk, pk) for pk in visible_ids]
        self.fields["issue"].error_messages["required"] = "Tick at least one issue first."

    def clean(self):
        cleaned = forms.Form.clean(self)
        if cleaned.get("action") == "mute":
            cleaned = super().clean()
        return cleaned
