"""Finished fan-out results, kept by task, so a resumed meta run never pays twice.

LangGraph keeps the writes of finished tasks of an interrupted step, but a killed run
was seen redoing finished `Send` tasks of the step it died in (langgraph 1.2.24, async
SQLite saver). This table makes the guarantee ours: a task's update is stored as it
finishes and returned as is when the task runs again.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

TASKS_DB = "tasks.db"


class TaskCache:
    def __init__(self, run_dir: str | Path):
        Path(run_dir).mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(Path(run_dir) / TASKS_DB, check_same_thread=False)
        self.conn.execute("create table if not exists tasks (key text primary key, update_ text)")
        self._lock = threading.Lock()

    def remember(self, stage: str, node: Callable[[dict], dict]) -> Callable[[dict], dict]:
        """`node` with its updates stored per (stage, task input)."""

        def cached(task: dict) -> dict:
            key = json.dumps([stage, task], sort_keys=True)
            with self._lock:
                row = self.conn.execute("select update_ from tasks where key = ?", [key]).fetchone()
            if row:
                return json.loads(row[0])
            update = node(task)
            with self._lock, self.conn:
                self.conn.execute(
                    "insert or replace into tasks values (?, ?)", [key, json.dumps(update)]
                )
            return update

        return cached
