"""The durable queue of settlements the store refused, replayed until each is written once.

An entry is everything a settlement writes (the leases with their actual amounts and the spend
record), keyed by its reservation id; writing it again is harmless because the store applies a
settlement at most once per reservation id (``CountersRepo.settle``). Backends:

* ``SqsQueue``: the SQS queue in ``TOLLWAY_SETTLEMENT_QUEUE_URL`` (on AWS; the stack creates it).
* ``JournalQueue``: an append-only file (``TOLLWAY_SETTLEMENT_JOURNAL``, else
  ``settlements.journal`` under ``TOLLWAY_DATA_DIR`` / ``.tollway``, ``/tmp/tollway`` on Lambda),
  one JSON line per entry and one ``{"done": id}`` line per replayed entry, fsync'd; safe for
  several processes (``flock``), compacted once every entry in it is done.

``replay(handler, limit)`` hands at most ``limit`` entries to ``handler`` (blocking; it raises to
leave an entry queued) and returns how many were written.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from tollway.storage.counters_repo import Lease

if TYPE_CHECKING:
    from collections.abc import Callable


@dataclass
class PendingSettlement:
    reservation_id: str
    leases: list[Lease]
    actual: dict[int, Decimal]
    record: dict[str, Any]
    expires_at: int | None

    def to_json(self) -> str:
        leases = [{**asdict(lease), "amount": str(lease.amount),
                   "limit": None if lease.limit is None else str(lease.limit)} for lease in self.leases]
        return json.dumps({"v": 1, "reservation_id": self.reservation_id, "leases": leases,
                           "actual": {str(i): str(a) for i, a in self.actual.items()}, "record": self.record,
                           "expires_at": self.expires_at}, separators=(",", ":"), default=str)

    @classmethod
    def from_json(cls, text: str) -> PendingSettlement:
        data = json.loads(text)
        leases = [Lease(**{**lease, "amount": Decimal(lease["amount"]),
                           "limit": None if lease["limit"] is None else Decimal(lease["limit"])})
                  for lease in data["leases"]]
        return cls(reservation_id=data["reservation_id"], leases=leases,
                   actual={int(i): Decimal(a) for i, a in data["actual"].items()}, record=data["record"],
                   expires_at=data["expires_at"])


class SettlementQueue(Protocol):
    name: str

    def put(self, entry: PendingSettlement) -> None: ...

    def replay(self, handler: Callable[[PendingSettlement], None], limit: int) -> int: ...


class JournalQueue:
    name = "journal"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def put(self, entry: PendingSettlement) -> None:
        self._append([entry.to_json()])

    def replay(self, handler: Callable[[PendingSettlement], None], limit: int) -> int:
        if not self.path.exists() or self.path.stat().st_size == 0:
            return 0
        import fcntl

        with open(self.path, "a+", encoding="utf-8") as journal:
            fcntl.flock(journal, fcntl.LOCK_EX)  # one replayer at a time; writers wait for the lock
            _end_torn_line(journal)
            journal.seek(0)
            pending: dict[str, str] = {}
            for raw in journal:
                line = raw.strip()
                if not line:
                    continue
                try:
                    data = json.loads(line)
                except ValueError:
                    continue  # a torn last line from a crash mid-write: its settlement was never acknowledged
                if "done" in data:
                    pending.pop(str(data["done"]), None)
                else:
                    pending[str(data.get("reservation_id"))] = line
            done = 0
            for reservation_id, line in list(pending.items())[:limit]:
                handler(PendingSettlement.from_json(line))
                journal.write(json.dumps({"done": reservation_id}) + "\n")
                journal.flush()
                os.fsync(journal.fileno())
                pending.pop(reservation_id)
                done += 1
            if not pending:
                journal.truncate(0)
                journal.flush()
                os.fsync(journal.fileno())
        return done

    def _append(self, lines: list[str]) -> None:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a+", encoding="utf-8") as journal:
            fcntl.flock(journal, fcntl.LOCK_EX)
            _end_torn_line(journal)
            journal.write("".join(line + "\n" for line in lines))
            journal.flush()
            os.fsync(journal.fileno())


def _end_torn_line(journal: Any) -> None:
    """End a line torn by a crash mid-write, so the next line is not glued to it (and lost)."""
    size = journal.seek(0, os.SEEK_END)
    if size:
        journal.seek(size - 1)
        if journal.read(1) != "\n":
            journal.write("\n")


class SqsQueue:
    name = "sqs"

    def __init__(self, url: str, client: Any = None) -> None:
        self.url = url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            import boto3
            from botocore.config import Config

            region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
            self._client = boto3.client("sqs", region_name=region,
                                        config=Config(connect_timeout=2, read_timeout=5,
                                                      retries={"max_attempts": 3, "mode": "standard"}))
        return self._client

    def put(self, entry: PendingSettlement) -> None:
        self.client.send_message(QueueUrl=self.url, MessageBody=entry.to_json())

    def replay(self, handler: Callable[[PendingSettlement], None], limit: int) -> int:
        done = 0
        while done < limit:
            messages = self.client.receive_message(
                QueueUrl=self.url, MaxNumberOfMessages=min(10, limit - done), WaitTimeSeconds=0,
                VisibilityTimeout=60,
            ).get("Messages") or []
            if not messages:
                break
            for message in messages:
                handler(PendingSettlement.from_json(message["Body"]))
                self.client.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
                done += 1
        return done


def queue_from_env() -> SettlementQueue:
    """SQS when ``TOLLWAY_SETTLEMENT_QUEUE_URL`` is set, else the local journal."""
    url = os.environ.get("TOLLWAY_SETTLEMENT_QUEUE_URL")
    if url:
        return SqsQueue(url)
    return JournalQueue(journal_path())


def journal_path() -> Path:
    explicit = os.environ.get("TOLLWAY_SETTLEMENT_JOURNAL")
    if explicit:
        return Path(explicit)
    base = os.environ.get("TOLLWAY_DATA_DIR")
    if not base:
        import tempfile

        base = str(Path(tempfile.gettempdir()) / "tollway") if os.environ.get("AWS_LAMBDA_FUNCTION_NAME") \
            else ".tollway"
    return Path(base) / "settlements.journal"
