from datetime import timedelta

from django import forms

from connections import audit_display
from connections.models import ApiToken, Customer, TokenStatus
from connections.systems import Environment

OVERLAP_CHOICES = [(1, "1 hour"), (6, "6 hours"), (24, "24 hours"), (72, "3 days"), (168, "7 days")]
# "Never" is a choice someone makes on purpose, never what an untouched form gives.
NEVER = "never"
EXPIRY_CHOICES = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    (NEVER, "Never (not recommended)"),
]
DEFAULT_EXPIRY = "90"
KEEP = "keep"


def describe_lifetime(lifetime: timedelta | None) -> str:
    """A token's lifetime in words: "90 days", "1 year", "36 hours", "never expires"."""
    if lifetime is None:
        return "never expires"
    hours = round(lifetime.total_seconds() / 3600)
    if hours % 24:
        return f"{hours} hour{'s' if hours != 1 else ''}"
    days = hours // 24
    if days == 365:
        return "1 year"
    return f"{days} day{'s' if days != 1 else ''}"


def expiry_from_choice(choice: str) -> timedelta | None:
    return None if choice == NEVER else timedelta(days=int(choice))


class IssueTokenForm(forms.Form):
    label = forms.CharField(
        max_length=100,
        label="Label",
        help_text="What the token is for, so people can tell it apart: e.g. ERP nightly sync.",
        error_messages={"required": "Give the token a label, e.g. ERP nightly sync."},
    )
    expires = forms.ChoiceField(
        choices=EXPIRY_CHOICES, initial=DEFAULT_EXPIRY, required=False, label="Expires after"
    )

    def clean_expires(self) -> timedelta | None:
        # Left out (a hand-made request), it is the safe default, never "never".
        return expiry_from_choice(self.cleaned_data["expires"] or DEFAULT_EXPIRY)


class RotateTokenForm(forms.Form):
    overlap_hours = forms.TypedChoiceField(
        choices=OVERLAP_CHOICES,
        coerce=int,
        initial=24,
        label="Keep the old token valid for",
    )
    expires = forms.ChoiceField(label="The new token expires after", initial=KEEP, required=False)

    def __init__(self, *args, token: ApiToken, **kwargs):
        super().__init__(*args, **kwargs)
        self.token = token
        keep = f"Same as the old token: {describe_lifetime(token.lifetime)}"
        self.fields["expires"].choices = [(KEEP, keep), *EXPIRY_CHOICES]

    def clean_expires(self) -> timedelta | None:
        choice = self.cleaned_data["expires"] or KEEP
        return self.token.lifetime if choice == KEEP else expiry_from_choice(choice)


class TokenFilterForm(forms.Form):
    customer = forms.ModelChoiceField(
        Customer.objects.none(), required=False, to_field_name="slug", label="Customer"
    )
    environment = forms.ChoiceField(
        choices=[("", "Any environment"), *Environment.choices], required=False, label="Environment"
    )
    status = forms.ChoiceField(
        choices=[("", "Any status"), *TokenStatus.choices], required=False, label="Status"
    )
    expiring = forms.BooleanField(required=False, label="Expiring soon")
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Connection",
        widget=forms.TextInput(attrs={"placeholder": "Name contains"}),
    )

    def __init__(self, *args, customers, warning_days: int = 14, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["customer"].empty_label = "Any customer"
        self.fields["expiring"].label = f"Expiring within {warning_days} days"


class AuditFilterForm(forms.Form):
    """The audit log's filters, each labelled; dates are whole UTC days, both ends included."""

    action = forms.ChoiceField(required=False, label="Action")
    actor = forms.CharField(
        required=False,
        max_length=150,
        label="Who",
        widget=forms.TextInput(attrs={"placeholder": "User name, or system"}),
    )
    customer = forms.ModelChoiceField(
        Customer.objects.none(), required=False, to_field_name="slug", label="Customer"
    )
    object_type = forms.ChoiceField(required=False, label="Object type")
    request_id = forms.CharField(
        required=False,
        max_length=64,
        label="Request id",
        widget=forms.TextInput(attrs={"placeholder": "pb_… or req_…"}),
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["customer"].empty_label = "Any customer"
        self.fields["action"].choices = audit_display.action_choices()
        self.fields["object_type"].choices = audit_display.object_type_choices()

    def clean_request_id(self) -> str:
        value = self.cleaned_data["request_id"].strip()
        if any(char.isspace() for char in value):
            raise forms.ValidationError("A request id is one word, such as pb_3f9a….")
        return value

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The “From” date is after the “To” date.")
        return cleaned

    def filters(self) -> dict:
        """The cleaned filters as AuditEventQuerySet.filtered() takes them."""
        values = dict(self.cleaned_data)
        action = values.pop("action")
        grouped = action in audit_display.ACTION_GROUPS
        return {
            **values,
            "action": "" if grouped else action,
            "action_prefix": action if grouped else "",
        }

    def described(self) -> dict:
        """The filters in use, in words, for the audit entry an export writes."""
        return {
            self.fields[name].label.lower(): str(value)
            for name, value in self.cleaned_data.items()
            if value not in (None, "")
        }


class SecondFactorForm(forms.Form):
    code = forms.CharField(
        max_length=20,
        label="Code",
        help_text="The six digits your authenticator app shows, or one recovery code.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
        error_messages={"required": "Type the code your app shows."},
    )
