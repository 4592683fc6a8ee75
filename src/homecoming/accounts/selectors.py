"""Reading accounts for the people who run them: the staff list the account pages and the API
show, each account with whether its second factor is enrolled and whether it is locked out."""

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from homecoming.access import policy
from homecoming.access.policy import Action

from .models import Role, User


def staff_accounts(actor):
    """Every staff account, by role then username (account managers only: AccessDenied, on the
    ledger, for anyone else), each annotated `second_factor_enrolled` and `locked`. Staff only:
    resident log-ins carry residents' names, which the administrator may not see."""
    policy.require(actor, Action.MANAGE_ACCOUNTS)
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    locked = AccessAttempt.objects.filter(
        username=OuterRef("username"),
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )
    return (
        User.objects.exclude(role=Role.RESIDENT)
        .annotate(second_factor_enrolled=Exists(enrolled), locked=Exists(locked))
        .order_by("role", "username")
    )


def staff_account(actor, user_id: int) -> User:
    """One staff account as `staff_accounts` lists it; User.DoesNotExist for a resident's log-in
    or no account at all (the account pages answer 404 for both)."""
    return staff_accounts(actor).get(pk=user_id)
