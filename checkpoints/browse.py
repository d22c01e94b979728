"""A run read page by page, for people looking at it while it may still be running: the
viewer's queries, the same SQL over a run directory and over a run in PostgreSQL.

A page is one indexed query with LIMIT/OFFSET and a count, so a run of 100k samples
opens as fast as a small one. Reading a run directory opens `samples.db` read-only
(`mode=ro`) for every request, and never takes the run's write lock: SQLite's WAL lets it
read while a run writes, and each request sees what the run has committed so far. Reviews
are the one thing written (`checkpoints.reviews`), each in a transaction of its own.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, fields
from typing import Any

from checkpoints.config import RunFileError
from checkpoints.protocols import Run
from checkpoints.reviews import REVIEW_COLUMNS, decode_review, save_review_sqlite
from checkpoints.runs import PostgresRun, RunDir
from checkpoints.store import SAMPLES_DB
from checkpoints.tables import STATUSES, decode

PAGE_SIZE = 50
# sort name -> column; every one is indexed or cheap to read (none lies after `state`)
SORTS = {
    "position": "position",
    "finished": "finished_at",
    "attempts": "attempts",
    "refinements": "refine_rounds",
    "seconds": "llm_seconds",
    "tokens": "completion_tokens",
}
REVIEW_STATES = ("unreviewed", "reviewed", "kept", "dropped")
CURATION_STATES = ("flagged", "unflagged")
LIST_COLUMNS = "id, position, domain, status, reason, attempts, llm_seconds, instruction"


@dataclass(frozen=True)
class Filters:
    """What the sample list shows; every field comes from the page's query string."""

    status: str = ""
    reason: str = ""
    domain: str = ""
    constraint: str = ""  # a constraint type id
    curation: str = ""  # flagged | unflagged | a flag's name (e.g. near_duplicate)
    review: str = ""  # one of REVIEW_STATES
    search: str = ""  # in the instruction or the response, case-insensitive
    sort: str = "position"
    order: str = "asc"
    page: int = 1

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        known = {f.name for f in fields(cls)}
        values: dict[str, Any] = {k: v.strip() for k, v in query.items() if k in known}
        try:
            values["page"] = max(1, int(values.get("page") or 1))
        except ValueError:
            values["page"] = 1
        if values.get("sort") not in SORTS:
            values.pop("sort", None)
        if values.get("order") not in ("asc", "desc"):
            values.pop("order", None)
        return cls(**values)


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int  # samples matching the filters
    filters: Filters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where_clause(f: Filters, has_reviews: bool, has_curation: bool) -> tuple[str, list]:
    """The filters as SQL both databases read (`?` placeholders), and its arguments."""
    terms, args = ["1 = 1"], []
    for column in ("status", "reason", "domain"):
        if getattr(f, column):
            terms.append(f"{column} = ?")
            args.append(getattr(f, column))
    if f.constraint:  # the constraints column is json.dumps of [{"id": ..., "kwargs": ...}]
        terms.append("constraints like ? escape '\\'")
        args.append(_like(f'"id": "{f.constraint}"'))
    if f.search:
        either = "lower(instruction) like ? escape '\\' or lower(response) like ? escape '\\'"
        terms.append(f"({either})")
        args += [_like(f.search.lower())] * 2
    if f.curation and has_curation:
        # a curated sample's record always has its flags, an empty list when none
        flagged = """curation like '%"flags": ["%'"""
        if f.curation in CURATION_STATES:
            terms.append(
                flagged if f.curation == "flagged" else f"(curation is null or not {flagged})"
            )
        else:
            terms.append("curation like ? escape '\\'")
            args.append(_like(f.curation))
    if f.review in REVIEW_STATES:
        terms.append(_review_term(f.review) if has_reviews else _NO_REVIEWS[f.review])
    return " and ".join(terms), args


_REVIEWED = "exists (select 1 from reviews r where r.sample_id = samples.id{})"
_NO_REVIEWS = {"unreviewed": "1 = 1", "reviewed": "1 = 0", "kept": "1 = 0", "dropped": "1 = 0"}


def _review_term(state: str) -> str:
    """Reviewed at all, or by decision: dropped when any reviewer dropped the sample."""
    reviewed = _REVIEWED.format("")
    drop = _REVIEWED.format(" and r.decision = 'drop'")
    keep = _REVIEWED.format(" and r.decision = 'keep'")
    return {
        "unreviewed": f"not {reviewed}",
        "reviewed": reviewed,
        "kept": f"{keep} and not {drop}",
        "dropped": drop,
    }[state]


def queue_order(candidates: list[tuple[str, str]], seed: int) -> list[str]:
    """Sample ids in the review queue's order: a seeded random order within each status,
    the statuses taken in turn (accepted, rejected, ...), so the first reviews already
    measure both the judge's YES and its NO. The same seed gives the same queue."""
    strata: dict[str, list[str]] = {}
    for sample_id, status in candidates:
        strata.setdefault(status, []).append(sample_id)
    for ids in strata.values():
        ids.sort(key=lambda i: hashlib.sha256(f"{seed}/{i}".encode()).hexdigest())
    order = sorted(strata, key=lambda s: STATUSES.index(s) if s in STATUSES else len(STATUSES))
    queue, depth = [], max((len(v) for v in strata.values()), default=0)
    for i in range(depth):
        queue += [strata[s][i] for s in order if i < len(strata[s])]
    return queue


class RunReader:
    """The viewer's reads and review writes of one run (see the module doc). Subclasses
    say how a query reaches the database."""

    def __init__(self, run: Run):
        self.run = run
        self._queues: dict[tuple[int, int], list[str]] = {}  # (seed, samples) -> order

    # -- what a database does: the subclasses

    def query(self, sql: str, args: list | tuple = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def has_table(self, name: str) -> bool:
        raise NotImplementedError

    def save_review(self, row: dict[str, Any]) -> None:
        raise NotImplementedError

    # -- what the viewer asks

    def columns(self) -> set[str]:
        return set(self.query("select * from samples limit 1")[0]) if self.total() else set()

    def total(self) -> int:
        return self.query("select count(*) as n from samples")[0]["n"]

    def page(self, f: Filters) -> Page:
        has_curation = f.curation != "" and "curation" in self.columns()
        where, args = where_clause(f, self.has_table("reviews"), has_curation)
        total = self.query(f"select count(*) as n from samples where {where}", args)[0]["n"]
        order = f"{SORTS[f.sort]} {f.order}, id"
        rows = self.query(
            f"select {LIST_COLUMNS}, constraints from samples where {where} "
            f"order by {order} limit ? offset ?",
            [*args, PAGE_SIZE, (f.page - 1) * PAGE_SIZE],
        )
        return Page([decode(r) for r in rows], total, f)

    def outcomes(self) -> list[dict[str, Any]]:
        return self.query(
            "select status, reason, count(*) as samples from samples "
            "group by status, reason order by status, samples desc"
        )

    def domains(self, limit: int = 500) -> list[str]:
        rows = self.query(
            "select distinct domain from samples where domain != '' order by domain limit ?",
            [limit],
        )
        return [r["domain"] for r in rows]

    def sample(self, sample_id: str) -> dict[str, Any] | None:
        rows = self.query("select * from samples where id = ?", [sample_id])
        return decode(rows[0]) if rows else None

    def reviews(self, sample_id: str | None = None) -> list[dict[str, Any]]:
        if not self.has_table("reviews"):
            return []
        where, args = ("where sample_id = ?", [sample_id]) if sample_id else ("", [])
        rows = self.query(f"select * from reviews {where} order by reviewed_at", args)
        return [decode_review(r) for r in rows]

    def queue(self, seed: int) -> list[str]:
        """The review queue: every sample the judge gave verdicts on (see queue_order),
        made again only when the run has more samples than when it was last made."""
        key = (seed, self.total())
        if key not in self._queues:
            rows = self.query(
                "select id, status from samples where verdicts is not null "
                "and verdicts not in ('', '[]')"
            )
            self._queues = {key: queue_order([(r["id"], r["status"]) for r in rows], seed)}
        return self._queues[key]

    def reviewed_by(self, reviewer: str) -> set[str]:
        if not self.has_table("reviews"):
            return set()
        rows = self.query("select sample_id from reviews where reviewer = ?", [reviewer])
        return {r["sample_id"] for r in rows}


class SqliteReader(RunReader):
    """A run directory: `samples.db` opened read-only per request."""

    def __init__(self, run: RunDir):
        super().__init__(run)
        self.path = run.path / SAMPLES_DB

    @contextmanager
    def _connect(self, mode: str = "ro") -> Iterator[sqlite3.Connection]:
        if not self.path.exists():
            raise RunFileError(f"{self.run} holds no {SAMPLES_DB}")
        uri = f"file:{self.path}?mode={mode}"
        with closing(sqlite3.connect(uri, uri=True, timeout=10)) as db:
            db.row_factory = sqlite3.Row
            yield db

    def query(self, sql: str, args: list | tuple = ()) -> list[dict[str, Any]]:
        try:
            with self._connect() as db:
                return [dict(row) for row in db.execute(sql, list(args))]
        except sqlite3.DatabaseError as err:
            raise RunFileError(f"{self.path} cannot be read ({err})") from None

    def has_table(self, name: str) -> bool:
        sql = "select 1 as found from sqlite_master where type = 'table' and name = ?"
        return bool(self.query(sql, [name]))

    def save_review(self, row: dict[str, Any]) -> None:
        try:
            with self._connect("rw") as db:
                save_review_sqlite(db, row)
        except sqlite3.Error as err:
            raise RunFileError(f"cannot save the review in {self.path} ({err})") from None


class PostgresReader(RunReader):
    """A run in PostgreSQL: one connection, one statement at a time, opened again after
    the database went away (each failure is one RunFileError, the next request retries)."""

    def __init__(self, run: PostgresRun):
        super().__init__(run)
        self.url = run.url
        self._lock = threading.Lock()
        self._store: Any = None

    def _call(self, action: str, *args: Any) -> Any:
        import psycopg

        from checkpoints.postgres import PostgresStore

        with self._lock:
            try:
                if self._store is None:
                    self._store = PostgresStore(self.url)
                if action == "query":
                    sql, values = args
                    return self._store.conn.execute(sql.replace("?", "%s"), values).fetchall()
                return getattr(self._store, action)(*args)
            except psycopg.Error as err:
                if self._store is not None and self._store.conn.closed:
                    self._store = None
                reason = " ".join(str(err).split())
                raise RunFileError(f"cannot read the run at {self.run}: {reason}") from None

    def query(self, sql: str, args: list | tuple = ()) -> list[dict[str, Any]]:
        return self._call("query", sql, list(args))

    def has_table(self, name: str) -> bool:
        return self._call("has_table", name)

    def save_review(self, row: dict[str, Any]) -> None:
        self._call("save_review", {c: row[c] for c in REVIEW_COLUMNS})


def reader(run: Run) -> RunReader:
    if isinstance(run, PostgresRun):
        return PostgresReader(run)
    assert isinstance(run, RunDir), run  # a run is one of the two
    return SqliteReader(run)
