"""Settings of the chat and email channels that bring reports in and carry replies out."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChannelSettings(BaseModel):
    """Zalo, Facebook Messenger and email: secrets to check deliveries, tokens and servers to reply."""

    zalo_app_secret: str | None = Field(default=None, description="Zalo OA app secret: verifies webhooks")
    zalo_timestamp_window_s: int = Field(
        default=300, ge=30, le=86400,
        description="a Zalo delivery stamped further than this from the server's clock is refused (replays)",
    )
    zalo_oa_access_token: str | None = Field(default=None, description="Zalo OA token: replies to citizens")
    zalo_api_url: str = Field(default="https://openapi.zalo.me", description="Zalo OA API base URL")
    facebook_app_secret: str | None = Field(default=None, description="Facebook app secret: verifies webhooks")
    facebook_verify_token: str | None = Field(default=None, description="Facebook webhook subscription token")
    facebook_page_token: str | None = Field(default=None, description="Facebook page token: replies")
    facebook_graph_url: str = Field(default="https://graph.facebook.com/v21.0", description="Graph API base URL")
    chat_gather_minutes: int = Field(
        default=10, ge=0, le=1440,
        description="Zalo/Facebook: a sender's messages within this many minutes join their open report",
    )
    imap_host: str | None = Field(default=None, description="mailbox the email intake job reads; unset = off")
    imap_port: int = Field(
        default=993, ge=1, le=65535,
        description="port of the IMAP server: 993 for IMAP over TLS, usually 143 with IOC_IMAP_SSL=false",
    )
    imap_ssl: bool = Field(
        default=True,
        description="IMAP over TLS; false = an unencrypted connection, for a mail server on a trusted network only",
    )
    imap_username: str | None = Field(default=None, description="login of the mailbox the email intake reads")
    imap_password: str | None = Field(default=None, description="password of that mailbox")
    imap_folder: str = Field(
        default="INBOX", description="folder whose unread messages become reports (each is marked read once stored)"
    )
    imap_every_s: int = Field(default=60, ge=5, le=86400, description="how often the mailbox is read")
    smtp_host: str | None = Field(
        default=None, description="mail server for replies to email reports; unset = they stay pending"
    )
    smtp_port: int = Field(
        default=25, ge=1, le=65535, description="port of that mail server (often 587 with IOC_SMTP_STARTTLS=true)"
    )
    smtp_starttls: bool = Field(default=False, description="upgrade the SMTP connection with STARTTLS")
    smtp_username: str | None = Field(
        default=None, description="login on the mail server; replies are sent without one unless both it and "
                                  "IOC_SMTP_PASSWORD are set",
    )
    smtp_password: str | None = Field(default=None, description="password of that login")
    smtp_from: str = Field(default="ioc@localhost", description="From address of replies to email reports")
