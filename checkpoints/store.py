"""A run's tables (`<run>/samples.db`): `samples`, one row per finished sample, kept or
not, and the meta stages' `domains`, `requests`, `scenarios` and `meta_calls`.

Sample rows are written as each sample finishes, so a killed run loses nothing it
finished; rejected and failed samples stay, with their reason, for inspection and
statistics.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checkpoints.config import RunFileError
from checkpoints.curation import SIGNATURES_TABLE
from checkpoints.reviews import reviews_sqlite, save_review_sqlite
from checkpoints.sqlite import FAST_COMMITS
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

SAMPLES_DB = "samples.db"
_UPSERT = (
    f"insert or replace into samples ({', '.join(SAMPLE_COLUMNS)}) "
    f"values ({', '.join('?' for _ in SAMPLE_COLUMNS)})"
)


class SampleStore:
    def __init__(self, run_dir: str | Path):
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.path = Path(run_dir) / SAMPLES_DB
        import sqlite_utils  # here: it takes ~0.5 s to import, and --help needs none of it

        self.db = sqlite_utils.Database(self.path)
        try:
            self.samples = self.db.table("samples")  # reads the schema: the first read
            self.db.conn.executescript(FAST_COMMITS)  # a row per finished sample, many a second
            if not self.samples.exists():
                self.samples.create(SAMPLE_COLUMNS, pk="id")
                self.samples.create_index(["status", "reason"])
            for column in ("position", "finished_at", "domain"):  # the viewer's pages
                self.samples.create_index([column], if_not_exists=True)
            for name, kind in SAMPLE_COLUMNS.items():  # a run made before a column was added
                if name not in self.samples.columns_dict:
                    self.samples.add_column(name, kind)
                    if name == "stated":
                        self._migrate_stated()
            self.db.execute(
                f"create table if not exists {SIGNATURES_TABLE} "
                "(id text primary key, digest text, signature blob)"
            )
        except sqlite3.DatabaseError as err:
            raise RunFileError(
                f"{self.path} is not a usable SQLite database ({err}); restore it from a "
                "backup, or move it away to rebuild the table from the checkpoints by rerunning"
            ) from None

    def _migrate_stated(self) -> None:
        rows = self.db.execute("select id, constraints from samples").fetchall()
        with self.db.conn:
            self.db.conn.executemany(
                "update samples set stated = ? where id = ?",
                [(legacy_stated(constraints), id_) for id_, constraints in rows],
            )

    def record(self, sample: dict[str, Any], state: dict[str, Any], error: str = "") -> dict:
        """Write a finished sample's row (replacing an earlier one of a retried sample):
        one prepared statement and a commit, many a second."""
        row = sample_row(sample, state, error)
        with self.db.conn:
            self.db.conn.execute(_UPSERT, [row.get(name) for name in SAMPLE_COLUMNS])
        return row

    def finished_ids(self) -> set[str]:
        """Samples a rerun skips: every recorded one but those failed by a transient error."""
        placeholders = ", ".join("?" for _ in RETRIED_REASONS)
        sql = f"select id from samples where reason not in ({placeholders})"
        return {row[0] for row in self.db.execute(sql, RETRIED_REASONS).fetchall()}

    def statuses(self) -> dict[str, str]:
        return dict(self.db.execute("select id, status from samples").fetchall())

    def rows(self, status: str | None = None) -> Iterator[dict[str, Any]]:
        where, args = ("status = ?", [status]) if status else (None, None)
        for row in self.samples.rows_where(where, args, order_by="position"):
            yield decode(row)

    def get(self, sample_id: str) -> dict[str, Any] | None:
        rows = list(self.samples.rows_where("id = ?", [sample_id]))
        return decode(rows[0]) if rows else None

    def counts(self) -> Counter:
        sql = "select status, count(*) from samples group by status"
        return Counter(dict(self.db.execute(sql).fetchall()))

    def save_review(self, row: dict[str, Any]) -> None:
        """A `checkpoints.reviews.review_row`, replacing that reviewer's earlier one."""
        save_review_sqlite(self.db.conn, row)

    def reviews(self, sample_id: str | None = None) -> list[dict[str, Any]]:
        return reviews_sqlite(self.db.conn, sample_id)

    # -- curation (graph/curate/): what it reads, its signatures, and its one write

    def curation_inputs(self) -> Iterator[dict[str, Any]]:
        """The accepted samples in position order, with only what curation reads."""
        sql = (
            f"select {', '.join(CURATION_INPUTS)} from samples "
            "where status = 'accepted' order by position, id"
        )
        for row in self.db.execute(sql):
            yield decode(dict(zip(CURATION_INPUTS, row, strict=True)))

    def uncurated(self) -> int:
        """Accepted samples no curation has looked at yet."""
        sql = "select count(*) from samples where status = 'accepted' and curation is null"
        return self.db.execute(sql).fetchone()[0]

    def signatures(self) -> dict[str, tuple[str, bytes]]:
        """id -> (digest, signature) of every instruction hashed so far."""
        sql = f"select id, digest, signature from {SIGNATURES_TABLE}"
        return {row[0]: (row[1], row[2]) for row in self.db.execute(sql)}

    def save_signatures(self, rows: list[tuple[str, str, bytes]]) -> None:
        with self.db.conn:
            self.db.conn.executemany(
                f"insert or replace into {SIGNATURES_TABLE} values (?, ?, ?)", rows
            )

    def save_curation(self, records: dict[str, str | None]) -> None:
        """Every changed sample's curation (JSON text) in one transaction: a killed
        curation leaves all the old records or all the new ones."""
        with self.db.conn:
            self.db.conn.executemany(
                "update samples set curation = ? where id = ? and status = 'accepted'",
                [(record, sample) for sample, record in records.items()],
            )

    def save_meta(self, state: dict[str, Any]) -> None:
        """The meta graph's result as the meta tables (replacing earlier ones)."""
        with self.db.conn:
            for name, rows in meta_rows(state).items():
                table = self.db.table(name)
                table.drop(ignore=True)
                columns, pk = META_TABLES[name]
                table.create(columns, pk=pk)
                table.insert_all(rows)

    def meta_overview(self) -> dict[str, Any] | None:
        """The meta stages' result as domain -> request -> scenarios, and the items the
        list parser dropped, per stage and reason; None before any meta run."""
        if not self.db["scenarios"].exists():
            return None
        return meta_tree(
            self.db["domains"].rows_where(order_by="position"),
            self.db["requests"].rows_where(order_by="position"),
            self.db["scenarios"].rows_where(order_by="position"),
            self.db["meta_calls"].rows,
        )
