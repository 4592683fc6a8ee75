"""API token pages: a staff member's own tokens (made after confirming their second factor), and
every token for the system administrator. Both revoke; neither ever shows a token again after
the moment it is made."""

from django import forms
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from homecoming.access import policy
from homecoming.access.policy import Action
from homecoming.core.forms import apply_errors, form_status

from . import tokens
from .models import ApiToken, TokenScope


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


def my_tokens(request):
    user = request.user
    if not tokens.may_have_own(user):
        return render(request, "400.html", {"message": tokens.STAFF_ONLY}, status=403)
    form = NewTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        problem = tokens.confirmation_problem(user, data["secret"])
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
