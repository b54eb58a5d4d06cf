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
