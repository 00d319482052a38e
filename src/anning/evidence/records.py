"""Plain records passed between importers, the evidence store and the documents."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

RecordType = Literal["sms", "mms", "call"]
Direction = Literal["in", "out", "unknown"]


@dataclass(frozen=True)
class RawRecord:
    """One message or call read from an export, before it is stored.

    ``received_at`` is an ISO 8601 string with its UTC offset (phone exports carry epoch times,
    converted to China time, +08:00) or None when the export has no time. ``raw`` keeps the
    original fields as read (strings), so the stored evidence can be traced to the file.
    """

    record_type: RecordType
    text: str
    sender: str | None
    received_at: str | None
    direction: Direction
    source_format: str  # android-xml | ios-sms.db | csv | jsonl | text
    source_ref: str  # where in the file: "sms 12", "row 5", "line 7", "block 3", "message ROWID 40"
    contact_name: str | None = None
    duration_s: int | None = None  # calls only
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    """An entry of an export that could not be read; the import goes on and reports it."""

    source_ref: str
    reason: str


class ImportFormatError(ValueError):
    """The whole file cannot be imported (unknown format, unsafe or truncated XML, not a file...).

    The message is user-facing and names the file and what is wrong with it."""
