"""API token pages: a staff member's own tokens (made after confirming their second factor), and
every token for the system administrator. Both revoke; neither ever shows a token again after
the moment it is made."""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status
from homecoming.ledger import services as ledger
from homecoming.ledger.models import Entry, Outcome

from . import tokens
from .models import ApiToken, TokenScope
from .reauth import confirm_identity

# Wrong codes typed here, per person, before the page stops asking for a while: an open
# session must not become a way to guess the person's password.
ATTEMPTS = 5
LOCKOUT = dt.timedelta(minutes=15)
CONFIRM = "token.create"


class NewTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What it is for (the integration's name).")
    scope = forms.ChoiceField(choices=TokenScope.choices, initial=TokenScope.READ)
    days = forms.IntegerField(
        min_value=1, max_value=tokens.MAX_DAYS, initial=tokens.DEFAULT_DAYS, label="Days valid"
    )
    secret = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "one-time-code"}),
        strip=False,
        label="Your authenticator code (or password)",
        help_text="A token acts in your name: confirm it is you at the keyboard.",
    )


def _confirmed(user, secret: str) -> str:
    """An error message, or empty if the user confirmed themself. A wrong answer is a denied
    entry in their name; five in fifteen minutes stop the page asking."""
    recent = Entry.objects.filter(
        actor=user,
        action=CONFIRM,
        outcome=Outcome.DENIED,
        time__gte=timezone.now() - LOCKOUT,
    ).count()
    if recent >= ATTEMPTS:
        return "Too many wrong codes: try again in 15 minutes."
    if confirm_identity(user, secret):
        return ""
    policy.record_denial(user, CONFIRM, ledger.Target.of(user))
    return "That is not your password or a current code from your authenticator app."


def my_tokens(request):
    user = request.user
    if not user.is_staff_member:
        return render(
            request, "400.html", {"message": "API tokens are for staff accounts."}, status=403
        )
    form = NewTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = _confirmed(user, data["secret"])
        if problem:
            form.add_error("secret", problem)
        else:
            try:
                token, clear = tokens.issue(
                    user, data["name"], scope=data["scope"], days=data["days"], by=user
                )
            except ValidationError as exc:
                apply_errors(exc, form)
            else:
                issued = (token, clear)
                form = NewTokenForm()
    context = {
        "form": form,
        "issued": issued,
        "tokens": tokens.listed(None, user),
        "mine": True,
        "now": timezone.now(),
    }
    status = 200 if issued else form_status(request)
    return render(request, "accounts/tokens.html", context, status=status)


def all_tokens(request):
    policy.require(request.user, Action.MANAGE_ACCOUNTS)
    context = {"tokens": tokens.listed(request.user), "mine": False, "now": timezone.now()}
    return render(request, "accounts/tokens.html", context)


@require_POST
def revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id)
    tokens.revoke(token, request.user)  # PermissionDenied (403, ledgered) if not theirs
    if token.user_id == request.user.pk:
        return redirect("accounts:my_tokens")
    return redirect("accounts:all_tokens")
