"""Group commit for the SQLite store: many writers, one fsync.

With ``synchronous=FULL`` every commit waits for an fsync (milliseconds on most disks), and SQLite
allows one writer at a time, so committing each request's transaction alone would cap a process
at a few hundred writes per second. Instead every write of the process is a *job* handed to one
committer thread, which takes whatever jobs are waiting, runs them one after another inside one
``BEGIN IMMEDIATE`` transaction (each in its own ``SAVEPOINT``, so a job whose condition fails is
rolled back alone), commits once, and only then wakes the callers. Each job still sees every
earlier job's writes (one connection, in order), so conditions stay exact, and nothing is
acknowledged before the fsync of the commit that holds it.

Jobs from other processes meet this one at SQLite's file lock (``BEGIN IMMEDIATE`` waits up to the
busy timeout). A batch that cannot start or commit fails every job in it with
``StoreUnavailableError``.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from tollway.storage.errors import StoreUnavailableError

if TYPE_CHECKING:
    from collections.abc import Callable

T = TypeVar("T")
MAX_BATCH = 256


class _Job(Generic[T]):
    __slots__ = ("done", "error", "result", "work")

    def __init__(self, work: Callable[[sqlite3.Connection], T]) -> None:
        self.work = work
        self.done = threading.Event()
        self.result: T | None = None
        self.error: BaseException | None = None


class GroupCommitter:
    """Runs jobs on ``connect()``'s connection in batches of one transaction each."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], *, wait_seconds: float,
                 on_error: Callable[[sqlite3.Error], None]) -> None:
        self._connect = connect
        self._wait = wait_seconds
        self._on_error = on_error
        self._jobs: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work(connection)`` in the next batch; its result once that batch is committed."""
        job: _Job[T] = _Job(work)
        self._ensure_thread()
        self._jobs.put(job)
        if not job.done.wait(self._wait):
            raise StoreUnavailableError()
        if job.error is not None:
            raise job.error
        return job.result  # type: ignore[return-value]

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, name="tollway-sqlite-commit", daemon=True)
                    self._thread.start()

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            batch = [job]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)  # stop after this batch
                    break
                batch.append(more)
            self._commit(batch)

    def _commit(self, batch: list[_Job[Any]]) -> None:
        try:
            conn = self._connect()
            conn.execute("BEGIN IMMEDIATE")
            try:
                for job in batch:
                    self._run_one(conn, job)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            self._on_error(exc)
            for job in batch:
                job.error = StoreUnavailableError()
        finally:
            for job in batch:
                job.done.set()

    @staticmethod
    def _run_one(conn: sqlite3.Connection, job: _Job[Any]) -> None:
        conn.execute("SAVEPOINT job")
        try:
            job.result = job.work(conn)
        except sqlite3.Error:
            raise  # the database itself failed: the whole batch fails
        except Exception as exc:  # noqa: BLE001 - handed to the job's caller, who re-raises it
            conn.execute("ROLLBACK TO job")
            job.error = exc
        conn.execute("RELEASE job")
