"""Email: a job reads an IMAP mailbox, one report per message; replies go out by SMTP.

Each pass takes the unread messages: subject → title, text (or the HTML's text) → description,
sender → reporter, photos and videos → attachments (each checked; a bad file is skipped and noted
in ``attributes["media_problems"]``, never losing the message). ``Message-ID`` is the report's
``external_id``, so reading a message twice never makes two reports. A message is marked read only
after its report is committed: if the pass dies before, the next one takes it again. A message that
can never become a report (e.g. refused by validation) is marked read and flagged for a person.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from imap_tools import AND, BaseMailBox, MailBox, MailBoxUnencrypted, MailMessage, MailMessageFlags

from data.core.errors import InvalidInput, IocError
from data.core.jobs import register
from data.core.settings import Settings
from data.core.text import html_text
from data.intake import IntakeError, Submission, submit
from data.intake.channels.base import SendError
from data.intake.pipeline import limits_of
from data.intake.submission import MAX_DESCRIPTION, MAX_TITLE
from data.models import Channel
from data.reports.uploads import MediaFile, check_media

if TYPE_CHECKING:
    from data.core.runtime import Runtime

log = logging.getLogger(__name__)

PER_PASS = 50  # a flood of mail is read over several passes, not one endless one
IMAP_TIMEOUT_S = 30.0
MEDIA_TYPES = ("image/", "video/")
REPLY_SUBJECT = "Phản ánh của bạn đã được tiếp nhận"


class MailboxUnreachable(IocError):
    status = 503
    title = "Không đọc được hộp thư"


class EmailChannel:
    """Replies to email reports over SMTP (``IOC_SMTP_*``)."""

    name = Channel.EMAIL
    label = "Email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def missing_setting(self) -> str | None:
        return None if self.settings.smtp_host else "IOC_SMTP_HOST"

    def send(self, recipient: str, text: str) -> None:
        s = self.settings
        if not s.smtp_host:
            raise SendError("Chưa đặt IOC_SMTP_HOST: không gửi được thư trả lời.")
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = s.smtp_from, recipient, REPLY_SUBJECT
        message.set_content(text)
        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=30) as smtp:
                if s.smtp_starttls:
                    smtp.starttls()
                if s.smtp_username and s.smtp_password:
                    smtp.login(s.smtp_username, s.smtp_password)
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise SendError(f"Máy chủ thư {s.smtp_host}:{s.smtp_port} không nhận thư: {exc}") from None


# ---------------------------------------------------------------------------------------------
# Reading the mailbox
# ---------------------------------------------------------------------------------------------


def message_id(msg: MailMessage) -> str:
    """The message's own Message-ID; without one, a hash of what identifies it."""
    found = (msg.headers.get("message-id") or ("",))[0].strip()
    if found:
        return found[:190]
    basis = f"{msg.from_}|{msg.date_str}|{msg.subject}|{msg.text or msg.html}"
    return "sha256:" + hashlib.sha256(basis.encode()).hexdigest()


def to_submission(msg: MailMessage, settings: Settings) -> Submission:
    """One message as a report; bad attachments are left out and noted, never fatal."""
    body = (msg.text or "").strip() or html_text(msg.html or "")
    subject = (msg.subject or "").strip()
    notes: list[dict[str, str]] = []
    description = body or subject or "(Thư không có nội dung.)"
    if len(description) > MAX_DESCRIPTION:
        cut = f"Nội dung thư dài {len(description)} ký tự, đã cắt còn {MAX_DESCRIPTION}."
        notes.append({"file": "", "problem": cut})
        description = description[: MAX_DESCRIPTION - 1] + "…"
    sender = msg.from_values
    email = sender.email if sender and "@" in sender.email and len(sender.email) <= 200 else None
    media, problems = _attachments(msg, settings)
    attributes: dict[str, Any] = {"mail_subject": subject[:300]} if subject else {}
    if notes or problems:
        attributes["media_problems"] = notes + problems
    return Submission(
        channel=Channel.EMAIL, description=description, title=subject[:MAX_TITLE] or None,
        reporter_name=(sender.name or None) if sender else None, reporter_email=email,
        external_id=message_id(msg), attributes=attributes, media=media, publish_consent=False,
    )


def _attachments(msg: MailMessage, settings: Settings) -> tuple[list[MediaFile], list[dict[str, str]]]:
    limits = limits_of(settings)
    media: list[MediaFile] = []
    problems: list[dict[str, str]] = []
    for part in msg.attachments:
        name = part.filename or "tệp không tên"
        if not part.content_type.startswith(MEDIA_TYPES) and not name.lower().endswith(
            (".jpg", ".jpeg", ".png", ".webp", ".mp4", ".mov", ".webm", ".3gp")
        ):
            problems.append({"file": name, "problem": f"Bỏ qua tệp {part.content_type}: chỉ nhận ảnh và video."})
            continue
        if len(media) >= limits.max_files:
            problems.append({"file": name, "problem": f"Vượt quá {limits.max_files} tệp cho một phản ánh."})
            continue
        candidate = MediaFile(name, part.payload)
        try:
            check_media([candidate], limits)
        except InvalidInput as exc:
            problems.append({"file": name, "problem": exc.message})
            continue
        media.append(candidate)
    return media, problems


def open_mailbox(settings: Settings) -> BaseMailBox:
    """A logged-in mailbox on the intake folder; an unreachable server is one clear MailboxUnreachable."""
    assert settings.imap_host
    cls = MailBox if settings.imap_ssl else MailBoxUnencrypted
    try:
        box: BaseMailBox = cls(settings.imap_host, settings.imap_port, timeout=IMAP_TIMEOUT_S)
        box.login(settings.imap_username or "", settings.imap_password or "", initial_folder=settings.imap_folder)
    except Exception as exc:  # noqa: BLE001 - socket, TLS and IMAP errors all mean "mailbox unreachable"
        raise MailboxUnreachable(
            f"Không đọc được hộp thư {settings.imap_host}:{settings.imap_port} "
            f"(IOC_IMAP_HOST/PORT/USERNAME/PASSWORD): {exc}"
        ) from None
    return box


@register("channels.read_mailbox", every_s=60, every_setting="imap_every_s")
def read_mailbox(runtime: Runtime, limit: int = PER_PASS) -> int:
    """Turn unread mail into reports; returns how many new reports were made. Off without IOC_IMAP_HOST.

    Scheduled every 60 s (the schedule is fixed when jobs are registered); a pass reads at most
    ``limit`` messages, so a backlog drains over several passes.
    """
    settings = runtime.settings
    if not settings.imap_host:
        return 0
    created = 0
    box = open_mailbox(settings)
    try:
        for msg in box.fetch(AND(seen=False), mark_seen=False, bulk=False, limit=limit):
            created += _take(runtime, box, msg)
    except Exception as exc:  # noqa: BLE001 - what escapes _take is the mailbox's (connection, server)
        raise MailboxUnreachable(
            f"Mất kết nối hộp thư {settings.imap_host}:{settings.imap_port} giữa chừng ({exc}); "
            "thư chưa được đánh dấu đã đọc sẽ được đọc lại ở lượt sau (không tạo phản ánh trùng)."
        ) from None
    finally:
        try:
            box.logout()
        except Exception:  # a connection already dead has nothing to log out of
            log.debug("IMAP logout failed", exc_info=True)
    return created


def _take(runtime: Runtime, box: BaseMailBox, msg: MailMessage) -> int:
    """One message into one report, then marked read; a failure to store leaves it unread."""
    assert msg.uid
    try:
        receipt = submit(runtime, to_submission(msg, runtime.settings))
    except IntakeError as exc:
        log.warning("email %s refused, flagged for a person in the mailbox: %s", msg.uid, exc.message)
        box.flag(msg.uid, (MailMessageFlags.SEEN, MailMessageFlags.FLAGGED), True)
        return 0
    except Exception:  # the database, the disk: left unread, taken again next pass
        # Not the sender's address: logs are read by more people than reporters' details may be.
        log.exception("email %s not stored; retried next pass", msg.uid)
        return 0
    box.flag(msg.uid, MailMessageFlags.SEEN, True)  # only now: the report is committed
    return int(receipt.created)
