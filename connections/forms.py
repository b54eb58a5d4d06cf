from django import forms

from connections.models import Customer, TokenStatus
from connections.systems import Environment

OVERLAP_CHOICES = [(1, "1 hour"), (6, "6 hours"), (24, "24 hours"), (72, "3 days"), (168, "7 days")]
EXPIRY_CHOICES = [("", "Never"), (30, "30 days"), (90, "90 days"), (365, "1 year")]


class IssueTokenForm(forms.Form):
    label = forms.CharField(max_length=100, required=False)
    expires_in_days = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, label="Expires"
    )


class RotateTokenForm(forms.Form):
    overlap_hours = forms.TypedChoiceField(
        choices=OVERLAP_CHOICES,
        coerce=int,
        initial=24,
        label="Keep the old token valid for",
    )


class TokenFilterForm(forms.Form):
    customer = forms.ModelChoiceField(Customer.objects.none(), required=False, to_field_name="slug")
    environment = forms.ChoiceField(
        choices=[("", "Any environment"), *Environment.choices], required=False
    )
    status = forms.ChoiceField(choices=[("", "Any status"), *TokenStatus.choices], required=False)
    expiring = forms.BooleanField(required=False, label="Expiring soon")
    q = forms.CharField(
        required=False,
        label="Connection",
        widget=forms.TextInput(
            attrs={"placeholder": "Connection name", "aria-label": "Connection name contains"}
        ),
    )

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["customer"].empty_label = "Any customer"


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False)
    actor = forms.CharField(required=False)
    customer = forms.ModelChoiceField(Customer.objects.none(), required=False, to_field_name="slug")
    object_type = forms.CharField(required=False, label="Object type")
    request_id = forms.CharField(required=False, label="Request id")
    since = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, customers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = customers
        self.fields["customer"].empty_label = "Any customer"
