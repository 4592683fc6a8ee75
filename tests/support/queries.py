"""Counting a page's queries (issue 15: at most 15 for the chart, the timeline page and the
medication round, whatever the record size), the ledger's writes included: a request's reads are
one look per resident, appended once at the end of the view (ledger/looks.py).

Set apart, and listed:
- SAVEPOINT / RELEASE: the test runs inside a transaction, so each atomic block a view opens is
  a savepoint here; in production the outermost block is a plain BEGIN/COMMIT.
- what every logged-in request costs before any page runs (`plumbing`): the session, the user,
  their second factor (django-otp loads the device each request) and the center's row (its time
  zone). Four queries, the same on every page; the bound is on what the page itself does.
"""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

PAGE_BOUND = 15


def _test_artifact(sql: str) -> bool:
    return sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))


PLUMBING = ('FROM "django_session"', 'FROM "otp_totp_totpdevice"', 'FROM "residents_center"')


def _plumbing(sql: str, seen: set) -> bool:
    """The first session, second-factor and center read, and the logged-in user's row."""
    kind = next((p for p in PLUMBING if p in sql), None)
    if (
        kind is None
        and sql.startswith('SELECT "accounts_user"."id"')
        and "accounts_user" not in seen
    ):
        kind = "accounts_user"
    if kind is None or kind in seen:
        return False
    seen.add(kind)
    return True


def _ledger_write(sql: str) -> bool:
    return (
        "ledger_head" in sql
        or 'INSERT INTO "ledger_entry"' in sql  # "3 times: INSERT ..." for several at once
        or 'INSERT INTO "ledger_mention"' in sql
        # the look's lookup of the version of the record it saw
        or sql.startswith(
            'SELECT "ledger_version"."object_id" AS "object_id", "ledger_version"."sha256"'
        )
    )


class Counted:
    def __init__(self, captured):
        seen = set()
        every = [q["sql"] for q in captured if not _test_artifact(q["sql"])]
        self.plumbing, self.all = [], []
        for sql in every:
            (self.plumbing if _plumbing(sql, seen) else self.all).append(sql)
        self.own = [sql for sql in self.all if not _ledger_write(sql)]
        self.ledger = [sql for sql in self.all if _ledger_write(sql)]


@contextmanager
def page_queries():
    with CaptureQueriesContext(connection) as captured:
        counted = Counted([])
        yield counted
    counted.__init__(captured.captured_queries)


def assert_bounded(small: Counted, large: Counted):
    """Both sizes within the bound, and the large record costing no more than the small one."""
    for counted in (small, large):
        assert len(counted.all) <= PAGE_BOUND, (
            f"{len(counted.all)} queries, {len(counted.ledger)} of them the ledger's (at most "
            f"{PAGE_BOUND}, besides the request's {len(counted.plumbing)}):\n"
            + "\n".join(counted.all)
        )
    assert len(large.all) <= len(small.all), "\n".join(large.all)
