from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordResetForm
from django.db import transaction
from django.template import loader
from django.utils.translation import gettext_lazy as _

from .tasks import send_email


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “attendance sync”."),
    )
    expires_at = forms.DateTimeField(
        label=_("Expires"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty for a token that lasts until you revoke it."),
    )


class TotpConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Six-digit code"),
        max_length=8,
        min_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class SchoolFilterForm(forms.Form):
    q = forms.CharField(label=_("Name or code"), required=False, max_length=100)
    community = forms.TypedChoiceField(
        label=_("Community"), required=False, coerce=int, empty_value=None
    )

    def __init__(self, *args: object, communities: list[tuple[int, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["community"].choices = [("", _("All communities")), *communities]  # type: ignore[attr-defined]


class QueuedPasswordResetForm(PasswordResetForm):
    """Password reset whose e-mail goes out through a Celery task once the request commits."""

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = (
            loader.render_to_string(html_email_template_name, context)
            if html_email_template_name
            else None
        )
        transaction.on_commit(
            lambda: send_email.delay(
                subject=subject, body=body, to=[to_email], html=html, from_email=from_email
            )
        )
