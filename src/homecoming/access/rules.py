"""The facts the policy asks of the apps that own them, registered at start-up.

The policy is the bottom layer above the ledger: it imports no app that holds resident data.
Whether a user is on a resident's care team, whether the resident is in residence or has left,
and what an investigator's grants cover are facts of the residents and oversight apps; each app
registers its functions here from its AppConfig.ready(). A fact nobody registered is refused:
asking it raises Unregistered, which the policy turns into a denial, never into an allow.
"""

from collections.abc import Callable

# What each fact is asked with and answers.
CARE_TEAM_FACTS = {
    "on_care_team",  # (user, resident) -> bool: on the resident's current care team
    "care_teams_of",  # (user) -> values("resident_id") of the residents whose team has the user
    "in_residence",  # (resident) -> bool: a stay in residence now
    "former_resident",  # (resident) -> bool: discharged, no stay open
    "residents",  # () -> queryset: every resident, the start of every list
    # For deciding on many residents at once (the round, a worklist) and on a chart that has
    # loaded the stays already:
    "stay_statuses",  # (resident_ids) -> {resident_id: {status, ...}} of every stay
    "stay_standing",  # (statuses) -> (in residence, former resident) from those statuses
}
GRANT_FACTS = {
    "investigation_covers",  # (user, resident) -> bool: a current grant names the resident
    "covered_residents",  # (user) -> values("resident_id") of the residents grants name
    "covers_entry",  # (user, entry) -> bool: a ledger entry inside the user's grants
}

_registered: dict[str, Callable] = {}


class Unregistered(LookupError):
    """The policy was asked a fact no app registered: it refuses."""


def _register(known: set[str], functions: dict[str, Callable]) -> None:
    missing = sorted(known - functions.keys())
    unknown = sorted(functions.keys() - known)
    if missing or unknown:
        raise TypeError(f"Register all of {sorted(known)}; missing {missing}, unknown {unknown}.")
    _registered.update(functions)


def register_care_team(**functions: Callable) -> None:
    """The residents app: care teams, stays and the list of residents."""
    _register(CARE_TEAM_FACTS, functions)


def register_grants(**functions: Callable) -> None:
    """The oversight app: what an investigator's current grants cover."""
    _register(GRANT_FACTS, functions)


def ask(fact: str, *args):
    try:
        function = _registered[fact]
    except KeyError:
        raise Unregistered(f"No app registered the access rule '{fact}'.") from None
    return function(*args)


def unregister(*facts: str) -> dict[str, Callable]:
    """Take facts out (tests show the policy refuses without them); returns what was there."""
    return {fact: _registered.pop(fact) for fact in facts if fact in _registered}


def restore(functions: dict[str, Callable]) -> None:
    _registered.update(functions)
