"""Chat messages become reports: a sender's messages a few minutes apart make one report.

On Zalo and Messenger people write the problem, then share their location, then send photos, as
separate messages. The rule, which needs nothing but the reports table:

* a message from a sender with no *open* report opens one through ``submit`` (the reply carries the
  tracking code at once). A photo or a location alone opens one too, with a placeholder text;
* a later message from the same sender joins that report while it is *open*: created less than
  ``chat_gather_minutes`` ago, still "received", and touched by no one (its history holds only
  "created", "processed" and "message_added"). Text is appended (it replaces the placeholder), a
  location sets the place (the newest wins), photos are queued; processing is then redone;
* every message id is kept in ``attributes["message_ids"]``: a platform's retry of a message that
  was already taken changes nothing;
* photos arrive as addresses: they are kept in ``attributes["pending_media"]`` and downloaded by
  the ``channels.fetch_media`` job, never while the platform waits for the webhook's answer.

One sender's messages are taken one at a time (a PostgreSQL advisory lock; a process lock on
SQLite) so a text and a photo arriving together cannot open two reports.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.core.text import fold
from data.intake import IntakeError, Submission, submit
from data.intake.channels.registry import channel_label
from data.intake.pipeline import place_of
from data.models import Outbox, Report, ReportEvent, ReportStatus, utcnow

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

# Actions that mean no person has acted on the report yet, so a follow-up message may still change it.
UNTOUCHED = {"created", "processed", "message_added"}
RETRY_LOOKBACK = timedelta(days=2)  # platforms stop retrying a delivery well before this
PLACEHOLDER = "(Phản ánh qua {channel}: người dân mới gửi ảnh hoặc vị trí, chưa có nội dung.)"


@dataclass(frozen=True)
class Taken:
    """What became of one message: the report it opened or joined, or the refusal sent back."""

    report_id: int | None
    tracking_code: str | None
    outcome: str  # created | joined | repeat | refused
    error: str | None = None


class Conversations:
    """Takes chat messages into reports, one sender at a time; built once per app or worker."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self._local_lock = threading.Lock()  # SQLite: one writer process, so a process lock suffices

    def take(self, sub: Submission) -> Taken:
        """Open, join or recognise (a retry) the report of one message; refusals are answered."""
        assert sub.reply_to and sub.external_id, "adapters fill reply_to and external_id"
        if self.runtime.engine.dialect.name == "postgresql":
            with self.runtime.session() as lock:
                lock.execute(select(func.pg_advisory_xact_lock(_lock_key(sub))))
                return self._take(sub)
        with self._local_lock:
            return self._take(sub)

    def _take(self, sub: Submission) -> Taken:
        now = utcnow()
        with self.runtime.session() as session:
            recent = _sender_reports(session, sub, now - RETRY_LOOKBACK)
            for report in recent:
                if sub.external_id in (report.attributes or {}).get("message_ids", []):
                    return Taken(report.id, report.tracking_code, "repeat")
            window = timedelta(minutes=self.runtime.settings.chat_gather_minutes)
            open_ = next((r for r in recent if r.created_at >= now - window and _untouched(session, r)), None)
            open_id = open_.id if open_ is not None else None
        try:
            if open_id is not None:
                return self._join(open_id, sub, now)
            return self._open(sub)
        except IntakeError as exc:
            self._refuse(sub, exc.message)
            return Taken(None, None, "refused", exc.message)

    def _open(self, sub: Submission) -> Taken:
        images = list(sub.attributes.pop("image_urls", []))
        placeholder = not sub.description.strip()
        if placeholder:
            sub.description = PLACEHOLDER.format(channel=channel_label(sub.channel))
        sub.attributes |= {"message_ids": [sub.external_id], "placeholder_description": placeholder}
        if images:
            sub.attributes["pending_media"] = [{"url": url, "message_id": sub.external_id} for url in images]
        receipt = submit(self.runtime, sub)
        if receipt.created and (sub.lat is None or placeholder):
            self._reply(sub, receipt.report_id, _more_hint(receipt.tracking_code,
                                                           self.runtime.settings.chat_gather_minutes))
        if receipt.created and images:
            self._enqueue("channels.fetch_media", report_id=receipt.report_id)
        return Taken(receipt.report_id, receipt.tracking_code, "created" if receipt.created else "repeat")

    def _join(self, report_id: int, sub: Submission, now: datetime) -> Taken:
        settings = self.runtime.settings
        images = list(sub.attributes.get("image_urls", []))
        with self.runtime.session() as session:
            report = session.scalar(select(Report).where(Report.id == report_id).with_for_update())
            assert report is not None
            attributes: dict[str, Any] = dict(report.attributes or {})
            added: list[str] = []
            text = sub.description.strip()
            if text:
                if attributes.get("placeholder_description"):
                    report.description = text
                    attributes["placeholder_description"] = False
                else:
                    report.description = f"{report.description}\n{text}"[:4000]
                report.search_text = fold(f"{report.title or ''} {report.description}")
                added.append("text")
            if sub.lat is not None and sub.lon is not None:
                report.admin_unit_id = place_of(session, settings, sub.lat, sub.lon)
                report.lat, report.lon = sub.lat, sub.lon
                added.append("location")
            if images:
                pending = list(attributes.get("pending_media", []))
                attributes["pending_media"] = pending + [{"url": u, "message_id": sub.external_id} for u in images]
                added.append("photos")
            attributes["message_ids"] = [*attributes.get("message_ids", []), sub.external_id]
            attributes.pop("duplicate_candidates", None)
            report.attributes = attributes
            _redo_processing(report)
            session.add(ReportEvent(report_id=report.id, at=now, action="message_added",
                                    data={"message_id": sub.external_id, "added": added}))
            if added != ["text"]:
                session.add(Outbox(channel=str(sub.channel), recipient=sub.reply_to, report_id=report.id,
                                   body=_joined_message(report.tracking_code, added)))
            code = report.tracking_code
        self._enqueue("reports.process", report_id=report_id)
        if images:
            self._enqueue("channels.fetch_media", report_id=report_id)
        return Taken(report_id, code, "joined")

    def _refuse(self, sub: Submission, reason: str) -> None:
        """Tell the citizen why the message could not be taken (e.g. a place outside the city)."""
        log.info("%s message %s refused: %s", sub.channel, sub.external_id, reason)
        self._reply(sub, None, f"Chưa tiếp nhận được tin nhắn của bạn: {reason}")

    def _reply(self, sub: Submission, report_id: int | None, text: str) -> None:
        assert sub.reply_to
        with self.runtime.session() as session:
            session.add(Outbox(channel=str(sub.channel), recipient=sub.reply_to, report_id=report_id, body=text))

    def _enqueue(self, name: str, **kwargs: Any) -> None:
        try:
            self.runtime.jobs.enqueue(name, **kwargs)
        except Exception:  # committed already; the job's sweep catches up
            log.exception("could not queue %s %s; its sweep will retry", name, kwargs)


def _lock_key(sub: Submission) -> int:
    digest = hashlib.sha256(f"chat:{sub.channel}:{sub.reply_to}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _sender_reports(session: Session, sub: Submission, since: datetime) -> list[Report]:
    """The sender's reports on this channel since ``since``, newest first."""
    query = (
        select(Report)
        .where(Report.channel == str(sub.channel), Report.created_at >= since,
               Report.attributes["sender_id"].as_string() == sub.reply_to)
        .order_by(Report.id.desc())
        .limit(200)
    )
    return list(session.scalars(query))


def _untouched(session: Session, report: Report) -> bool:
    if report.status != ReportStatus.RECEIVED:
        return False
    actions = set(session.scalars(select(ReportEvent.action).where(ReportEvent.report_id == report.id)))
    return actions <= UNTOUCHED


def _redo_processing(report: Report) -> None:
    """New text or a new place may change the category, the agency and the deadline: process again."""
    report.processed_at = None
    if not report.category_confirmed:
        report.category_id = None
        report.suggested_category_id = None
        report.classification_confidence = None
    report.agency_id = None
    report.expected_at = None


def _more_hint(code: str, minutes: int) -> str:
    return (f"Bạn có thể gửi thêm nội dung, vị trí (chia sẻ vị trí) và ảnh trong {minutes} phút tới; "
            f"chúng sẽ được gộp vào phản ánh {code}.")


def _joined_message(code: str, added: list[str]) -> str:
    names = {"text": "nội dung", "location": "vị trí", "photos": "ảnh"}
    return f"Đã bổ sung {', '.join(names[a] for a in added)} vào phản ánh {code}."
