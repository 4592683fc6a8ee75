"""Counting a page's queries (issue 15: at most 15 for the chart, the timeline page and the
medication round, whatever the record size).

Two kinds of query are set apart from the page's own work:
- SAVEPOINT / RELEASE: the test runs inside a transaction, so each atomic block a view opens is
  a savepoint here; in production the outermost block is a plain BEGIN/COMMIT.
- the ledger's read entries, written at the end of the view: they shrink to about three
  queries a request once reads are written as one "look" per resident (issue 15's other part),
  and that change, not the page, owns their count. They are counted apart (`ledger`), and the
  page's own queries (`own`) are held to PAGE_BOUND; the tests also check that the whole count,
  ledger writes included, does not grow with the record.
"""

from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext

PAGE_BOUND = 15


def _ledger_write(sql: str) -> bool:
    return (
        sql.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT"))
        or "ledger_head" in sql
        or 'INSERT INTO "ledger_entry"' in sql  # "3 times: INSERT ..." for several at once
        # record_reads' lookup of the version each read saw
        or sql.startswith(
            'SELECT "ledger_version"."object_id" AS "object_id", "ledger_version"."sha256"'
        )
    )


class Counted:
    def __init__(self, captured):
        self.all = [q["sql"] for q in captured]
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
        assert len(counted.own) <= PAGE_BOUND, (
            f"{len(counted.own)} queries of the page's own (at most {PAGE_BOUND}):\n"
            + "\n".join(counted.own)
        )
    assert len(large.all) <= len(small.all), "\n".join(large.all)
