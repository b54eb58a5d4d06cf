from django import forms


class IssueNoteForm(forms.Form):
    body = forms.CharField(
        label="Note",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "What you found or tried"}),
    )


class RequestSearchForm(forms.Form):
    request_id = forms.CharField(label="Request id", required=False, max_length=200)
