"""A run in PostgreSQL: the same tables as a SQLite run, the run's config, and the work
queue that lets many workers share one run.

Workers claim samples with PostgreSQL's own row locking (`FOR UPDATE SKIP LOCKED`): a
claim marks rows as leased by the worker until a deadline, which the worker pushes back
while it works. A worker that dies stops renewing; once its leases lapse, the others
claim its samples and resume each from its last checkpoint. A finished sample is written
and marked done in one transaction, and only by the worker that holds its lease.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

from checkpoints.curation import SIGNATURES_TABLE
from checkpoints.pg_lock import acquire, lock_key
from checkpoints.reconnect import Reconnector, reconnecting
from checkpoints.reviews import REVIEW_COLUMNS, REVIEW_KEY, decode_review
from checkpoints.tables import (
    CURATION_INPUTS,
    META_TABLES,
    RETRIED_REASONS,
    SAMPLE_COLUMNS,
    decode,
    legacy_stated,
    meta_rows,
    meta_tree,
    sample_row,
)

_SQL_TYPES = {str: "text", int: "bigint", float: "double precision"}


def _columns(columns: dict[str, type], pk: str | None) -> str:
    return ", ".join(
        f"{name} {_SQL_TYPES[kind]}{' primary key' if name == pk else ''}"
        for name, kind in columns.items()
    )


SCHEMA = f"""
create table if not exists samples ({_columns(SAMPLE_COLUMNS, "id")});
create index if not exists samples_status on samples (status, reason);
create index if not exists samples_position on samples (position);
create index if not exists samples_finished on samples (finished_at);
create index if not exists samples_domain on samples (domain);
create table if not exists reviews (
    {_columns(REVIEW_COLUMNS, None)}, primary key ({", ".join(REVIEW_KEY)})
);
create table if not exists run_config (key text primary key, value text not null);
create table if not exists queue (
    id text primary key, position bigint, domain text, request text, scenario text,
    done boolean not null default false, lease_owner text, lease_until timestamptz
);
create index if not exists queue_open on queue (done, position);
create table if not exists {SIGNATURES_TABLE} (id text primary key, digest text, signature bytea);
"""
SCHEMA_OBJECTS = [
    "samples",
    "samples_status",
    "samples_position",
    "samples_finished",
    "samples_domain",
    "reviews",
    "run_config",
    "queue",
    "queue_open",
    SIGNATURES_TABLE,
]
SCHEMA_LOCK = "run tables"  # what creating them is locked as
_UPSERT = (
    f"insert into samples ({', '.join(SAMPLE_COLUMNS)}) "
    f"values ({', '.join('%s' for _ in SAMPLE_COLUMNS)}) on conflict (id) do update set "
    + ", ".join(f"{c} = excluded.{c}" for c in SAMPLE_COLUMNS if c != "id")
)

_REVIEW_UPSERT = (
    f"insert into reviews ({', '.join(REVIEW_COLUMNS)}) "
    f"values ({', '.join('%s' for _ in REVIEW_COLUMNS)}) "
    f"on conflict ({', '.join(REVIEW_KEY)}) do update set "
    + ", ".join(f"{c} = excluded.{c}" for c in REVIEW_COLUMNS if c not in REVIEW_KEY)
)


def one(cursor: Any) -> dict[str, Any]:
    """The row of a query that always returns one (an aggregate, a lookup by function)."""
    row = cursor.fetchone()
    assert row is not None
    return row


class PostgresStore:
    """The run's tables over one psycopg connection (autocommit; transactions where
    several statements must hold together). Each operation outlives a restart of the
    database (`checkpoints.reconnect`): it connects again and runs once more."""

    def __init__(self, url: str, reconnector: Reconnector | None = None):
        self.url = url
        self.reconnector = reconnector or Reconnector(url)  # a restarted database is waited for
        self.conn = self.open_connection()
        # One process creates the tables, once: workers start together, and DDL on
        # tables in use (even `if not exists`) locks them against the other workers'
        # writes - a deadlock when two started at once.
        acquire(self.conn, SCHEMA_LOCK)
        try:
            with self.conn.transaction():
                missing = one(
                    self.conn.execute(
                        "select count(*) as n from unnest(%s::text[]) name "
                        "where to_regclass(name) is null",
                        [SCHEMA_OBJECTS],
                    )
                )["n"]
                if missing:
                    self.conn.execute(SCHEMA)
                self._add_columns()
        finally:
            self.conn.execute("select pg_advisory_unlock(%s)", [lock_key(SCHEMA_LOCK)])

    def _add_columns(self) -> None:
        """Columns a run made by an older decif lacks (the advisory lock is held)."""
        known = {
            r["column_name"]
            for r in self.conn.execute(
                "select column_name from information_schema.columns "
                "where table_name = 'samples' and table_schema = current_schema()"
            )
        }
        for name, kind in SAMPLE_COLUMNS.items():
            if name not in known:
                self.conn.execute(
                    f"alter table samples add column if not exists {name} {_SQL_TYPES[kind]}"
                )
                if name == "stated":
                    rows = self.conn.execute("select id, constraints from samples").fetchall()
                    for row in rows:
                        self.conn.execute(
                            "update samples set stated = %s where id = %s",
                            [legacy_stated(row["constraints"]), row["id"]],
                        )

    def open_connection(self) -> Any:
        import psycopg
        from psycopg.rows import dict_row

        return psycopg.connect(self.url, autocommit=True, row_factory=dict_row)

    def close(self) -> None:
        self.conn.close()

    # -- the samples table: what SampleStore offers, for a run in PostgreSQL

    @reconnecting
    def record(self, sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict:
        row = sample_row(sample, state, error)
        self.conn.execute(_UPSERT, [row.get(name) for name in SAMPLE_COLUMNS])
        return row

    @reconnecting
    def finished_ids(self) -> set[str]:
        sql = "select id from samples where not (reason = any(%s))"
        return {r["id"] for r in self.conn.execute(sql, [list(RETRIED_REASONS)])}

    @reconnecting
    def statuses(self) -> dict[str, str]:
        return {r["id"]: r["status"] for r in self.conn.execute("select id, status from samples")}

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        where, args = ("where status = %s", [status]) if status else ("", [])
        cursor = self.conn.cursor(name="rows")  # server-side: a big run is streamed
        with self.conn.transaction(), cursor:
            cursor.execute(f"select * from samples {where} order by position, id", args)
            for row in cursor:
                yield decode(row)

    @reconnecting
    def get(self, sample_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("select * from samples where id = %s", [sample_id]).fetchone()
        return decode(row) if row else None

    @reconnecting
    def counts(self) -> Counter:
        sql = "select status, count(*) as n from samples group by status"
        return Counter({r["status"]: r["n"] for r in self.conn.execute(sql)})

    @reconnecting
    def save_review(self, row: dict[str, Any]) -> None:
        """A `checkpoints.reviews.review_row`, replacing that reviewer's earlier one."""
        self.conn.execute(_REVIEW_UPSERT, [row[c] for c in REVIEW_COLUMNS])

    @reconnecting
    def reviews(self, sample_id: str | None = None) -> list[dict[str, Any]]:
        where, args = ("where sample_id = %s", [sample_id]) if sample_id else ("", [])
        sql = f"select * from reviews {where} order by reviewed_at"
        return [decode_review(row) for row in self.conn.execute(sql, args)]

    # -- curation: what SampleStore offers, for a run in PostgreSQL

    def curation_inputs(self) -> Iterator[dict[str, Any]]:
        cursor = self.conn.cursor(name="curation")  # server-side: a big run is streamed
        with self.conn.transaction(), cursor:
            cursor.execute(
                f"select {', '.join(CURATION_INPUTS)} from samples "
                "where status = 'accepted' order by position, id"
            )
            for row in cursor:
                yield decode(row)

    @reconnecting
    def uncurated(self) -> int:
        sql = "select count(*) as n from samples where status = 'accepted' and curation is null"
        return one(self.conn.execute(sql))["n"]

    @reconnecting
    def signatures(self) -> dict[str, tuple[str, bytes]]:
        rows = self.conn.execute(f"select id, digest, signature from {SIGNATURES_TABLE}")
        return {r["id"]: (r["digest"], bytes(r["signature"])) for r in rows}

    @reconnecting
    def save_signatures(self, rows: list[tuple[str, str, bytes]]) -> None:
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.executemany(
                f"insert into {SIGNATURES_TABLE} values (%s, %s, %s) on conflict (id) do "
                "update set digest = excluded.digest, signature = excluded.signature",
                rows,
            )

    @reconnecting
    def save_curation(self, records: dict[str, str | None]) -> None:
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.executemany(
                "update samples set curation = %s where id = %s and status = 'accepted'",
                [(record, sample) for sample, record in records.items()],
            )

    @reconnecting
    def save_meta(self, state: dict[str, Any]) -> None:
        with self.conn.transaction():
            for name, rows in meta_rows(state).items():
                columns, pk = META_TABLES[name]
                self.conn.execute(f"drop table if exists {name}")
                self.conn.execute(f"create table {name} ({_columns(columns, pk)})")
                with self.conn.cursor() as cursor:
                    cursor.executemany(
                        f"insert into {name} ({', '.join(columns)}) "
                        f"values ({', '.join('%s' for _ in columns)})",
                        [[row[c] for c in columns] for row in rows],
                    )

    @reconnecting
    def meta_overview(self) -> dict[str, Any] | None:
        if not self.has_table("scenarios"):
            return None

        def ordered(table: str) -> list[dict]:
            return self.conn.execute(f"select * from {table} order by position").fetchall()

        calls = self.conn.execute("select * from meta_calls").fetchall()
        return meta_tree(ordered("domains"), ordered("requests"), ordered("scenarios"), calls)

    @reconnecting
    def has_table(self, name: str) -> bool:
        row = one(self.conn.execute("select to_regclass(%s) as t", [name]))
        return row["t"] is not None

    # -- the run's config, one JSON document

    @reconnecting
    def read_config(self) -> dict[str, Any]:
        row = self.conn.execute("select value from run_config where key = 'config'").fetchone()
        return json.loads(row["value"]) if row else {}

    @reconnecting
    def write_config(self, config: dict[str, Any]) -> None:
        self.conn.execute(
            "insert into run_config values ('config', %s) "
            "on conflict (key) do update set value = excluded.value",
            [json.dumps(config)],
        )

    # -- the work queue

    @reconnecting
    def enqueue(self, scenarios: list[dict[str, Any]]) -> None:
        """Add scenarios ({id, position, domain, request, scenario}) not queued yet, and
        reopen the samples a rerun retries (failed by an error that was not the model's)."""
        with self.conn.transaction(), self.conn.cursor() as cursor:
            cursor.executemany(
                "insert into queue (id, position, domain, request, scenario) "
                "values (%s, %s, %s, %s, %s) on conflict (id) do nothing",
                [
                    [s["id"], s["position"], s["domain"], s["request"], s["scenario"]]
                    for s in scenarios
                ],  # fmt: skip
            )
            cursor.execute(
                "update queue set done = false where done and id in "
                "(select id from samples where reason = any(%s))",
                [list(RETRIED_REASONS)],
            )

    @reconnecting
    def claim(self, worker: str, count: int, lease_s: float) -> list[dict[str, Any]]:
        """Up to `count` open samples, in position order, leased to `worker`: never one
        another live worker holds (its lease has not lapsed)."""
        return self.conn.execute(
            """with picked as (
                   select id from queue
                   where not done and (lease_until is null or lease_until < now())
                   order by position limit %s for update skip locked)
               update queue q set lease_owner = %s,
                   lease_until = now() + make_interval(secs => %s)
               from picked where q.id = picked.id
               returning q.id, q.position, q.domain, q.request, q.scenario""",
            [count, worker, lease_s],
        ).fetchall()

    @reconnecting
    def renew(self, worker: str, ids: list[str], lease_s: float) -> set[str]:
        """Push back the leases `worker` still holds among `ids`; returns those."""
        rows = self.conn.execute(
            "update queue set lease_until = now() + make_interval(secs => %s) "
            "where lease_owner = %s and id = any(%s) and not done returning id",
            [lease_s, worker, ids],
        )
        return {r["id"] for r in rows}

    @reconnecting
    def complete(self, worker: str, sample: dict, state: dict, error: str = "") -> dict | None:
        """Record a finished sample and mark it done, if `worker` still holds its lease;
        None (nothing written) when another worker took it over."""
        row = sample_row(sample, state, error)
        with self.conn.transaction():
            held = self.conn.execute(
                "update queue set done = true, lease_owner = null, lease_until = null "
                "where id = %s and lease_owner = %s returning id",
                [sample["id"], worker],
            ).fetchone()
            if held is None:
                return None
            self.conn.execute(_UPSERT, [row.get(name) for name in SAMPLE_COLUMNS])
        return row

    @reconnecting
    def release(self, worker: str) -> None:
        """Give back every lease of `worker` (it stops): others may take them at once."""
        self.conn.execute(
            "update queue set lease_owner = null, lease_until = null "
            "where lease_owner = %s and not done",
            [worker],
        )

    @reconnecting
    def progress(self) -> dict[str, int]:
        """The run's totals: samples queued, done, and open (not done)."""
        row = one(
            self.conn.execute(
                "select count(*) as total, count(*) filter (where done) as done from queue"
            )
        )
        return {"total": row["total"], "done": row["done"], "open": row["total"] - row["done"]}
