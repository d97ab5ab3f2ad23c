"""Email intake against a real Dovecot IMAP server on loopback (see tests/dovecot.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from imap_tools import AND, MailBoxUnencrypted, MailMessageFlags
from PIL import Image
from sqlalchemy import select

from data.core.bus import LocalBus
from data.core.runtime import Runtime
from data.core.text import html_text
from data.intake.channels.email import MailboxUnreachable, read_mailbox
from data.intake.channels.outbox import send_pending
from data.models import Attachment, Outbox, Report
from tests.dbfixtures import fresh_pg_database, open_runtime
from tests.dovecot import Dovecot, new_dovecot_dir


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, format="JPEG")
    return out.getvalue()


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200  # a Windows program


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    server = Dovecot(new_dovecot_dir())
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def mail_runtime(request: pytest.FixtureRequest, dovecot: Dovecot, tmp_path: Path) -> Iterator[Runtime]:
    imap = {"imap_host": dovecot.host, "imap_port": dovecot.port, "imap_ssl": False,
            "imap_username": dovecot.user, "imap_password": dovecot.password, "upload_dir": tmp_path / "uploads"}
    if request.param == "sqlite":
        with open_runtime(f"sqlite:///{tmp_path / 'mail.sqlite3'}", **imap) as rt:
            yield rt
        return
    with fresh_pg_database() as url, open_runtime(url, **imap) as rt:
        yield rt


def append(server: Dovecot, message: EmailMessage) -> None:
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        box.append(message.as_bytes(), "INBOX")


def letter(n: int, *, subject: str, body: str | None = None, html: str | None = None,
           files: list[tuple[str, bytes]] | None = None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Nguyễn Văn An <an.nguyen@example.vn>"
    message["To"] = "phananh@hue.gov.vn"
    message["Subject"] = subject
    message["Message-ID"] = f"<thu-{n}@example.vn>"
    if body is not None:
        message.set_content(body)
    if html is not None:
        if body is None:
            message.set_content(html, subtype="html")
        else:
            message.add_alternative(html, subtype="html")
    for name, content in files or []:
        message.add_attachment(content, maintype="image", subtype="jpeg", filename=name)
    return message


def reports(runtime: Runtime) -> list[dict[str, Any]]:
    with runtime.session() as s:
        rows = s.scalars(select(Report).where(Report.channel == "email").order_by(Report.id)).all()
        return [{"id": r.id, "external_id": r.external_id, "title": r.title, "description": r.description,
                 "email": r.reporter_email, "name": r.reporter_name, "attributes": r.attributes or {},
                 "files": s.scalars(select(Attachment.original_name).where(Attachment.report_id == r.id)).all()}
                for r in rows]


def unseen(server: Dovecot) -> int:
    with MailBoxUnencrypted(server.host, server.port).login(server.user, server.password) as box:
        return len(list(box.fetch(AND(seen=False), mark_seen=False, headers_only=True)))


def test_one_report_per_message_attachments_checked_and_no_duplicates(mail_runtime: Runtime,
                                                                        dovecot: Dovecot) -> None:
    append(dovecot, letter(1, subject="Đèn đường hỏng trên đường Lê Lợi",
                           body="Đèn chiếu sáng số 12 đường Lê Lợi không sáng đã ba đêm, rất nguy hiểm.",
                           files=[("den-hong.jpg", jpeg_bytes()), ("anh-2.jpg", EXE)]))
    append(dovecot, letter(2, subject="Rác thải ở chợ Đông Ba",
                           html="<html><head><style>p{color:red}</style></head><body><p>Rác <b>tồn đọng</b>"
                                "</p><script>alert(1)</script><p>cạnh cổng chợ &amp; bến xe.</p></body></html>"))
    append(dovecot, letter(3, subject="Ngập nước", body="Đường Hùng Vương ngập sau mưa."))

    assert read_mailbox(mail_runtime) == 3
    found = reports(mail_runtime)
    assert [r["external_id"] for r in found] == ["<thu-1@example.vn>", "<thu-2@example.vn>", "<thu-3@example.vn>"]
    first, second, _ = found
    assert first["title"] == "Đèn đường hỏng trên đường Lê Lợi"
    assert first["description"].startswith("Đèn chiếu sáng số 12")
    assert (first["email"], first["name"]) == ("an.nguyen@example.vn", "Nguyễn Văn An")
    assert first["files"] == ["den-hong.jpg"]  # the good photo kept
    problems = first["attributes"]["media_problems"]
    assert [p["file"] for p in problems] == ["anh-2.jpg"]  # the program posing as a photo skipped, noted
    assert second["description"] == "Rác tồn đọng\n\ncạnh cổng chợ & bến xe."
    assert unseen(dovecot) == 0

    # The receipts wait in the outbox: no SMTP server is configured, so they are neither sent nor failed.
    assert send_pending(mail_runtime) == 0
    with mail_runtime.session() as s:
        rows = s.scalars(select(Outbox).where(Outbox.channel == "email")).all()
        assert len(rows) == 3 and {r.status for r in rows} == {"pending"} and {r.attempts for r in rows} == {0}
        assert all(r.recipient == "an.nguyen@example.vn" for r in rows)

    # Reading again makes nothing new; nor does a message left unread by a crash after its commit.
    assert read_mailbox(mail_runtime) == 0
    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(dovecot.user, dovecot.password) as box:
        uid = next(box.fetch(mark_seen=False, headers_only=True)).uid
        assert uid is not None
        box.flag(uid, MailMessageFlags.SEEN, False)
    assert unseen(dovecot) == 1
    assert read_mailbox(mail_runtime) == 0
    assert len(reports(mail_runtime)) == 3 and unseen(dovecot) == 0


class StopServerAfterFirstReport(LocalBus):
    """The real in-process bus, which also stops the IMAP server when the first report is announced:
    the job then loses its connection between committing a report and marking its message read."""

    def __init__(self, server: Dovecot) -> None:
        super().__init__()
        self.server = server

    def publish(self, topic: str, message: dict[str, Any]) -> None:
        super().publish(topic, message)
        if topic == "reports" and message.get("channel") == "email" and self.server.process is not None:
            self.server.stop()


def test_server_gone_mid_pass_fails_cleanly_and_the_next_pass_catches_up(mail_runtime: Runtime,
                                                                         dovecot: Dovecot) -> None:
    for n in range(1, 4):
        append(dovecot, letter(n, subject=f"Phản ánh số {n}", body=f"Cây đổ chắn đường, vị trí số {n}."))
    real_bus = mail_runtime.bus
    mail_runtime.bus = StopServerAfterFirstReport(dovecot)
    try:
        with pytest.raises(MailboxUnreachable, match="giữa chừng"):
            read_mailbox(mail_runtime)
    finally:
        mail_runtime.bus = real_bus
    assert len(reports(mail_runtime)) == 1  # committed before the server went; nothing half-written

    with pytest.raises(MailboxUnreachable, match="IOC_IMAP_HOST"):
        read_mailbox(mail_runtime)  # still down: one clear error

    dovecot.start()
    assert read_mailbox(mail_runtime) == 2
    found = reports(mail_runtime)
    assert sorted(r["external_id"] for r in found) == [f"<thu-{n}@example.vn>" for n in range(1, 4)]
    assert unseen(dovecot) == 0


def test_html_text_is_readable() -> None:
    assert html_text("<div>Một<br>Hai</div><p>Ba&nbsp; bốn</p>") == "Một\nHai\n\nBa bốn"
