"""A real Dovecot IMAP server (Debian ``dovecot-imapd``) on loopback, in a directory of its own.

The configuration (Dovecot 2.3) written by ``Dovecot.start``::

    protocols = imap
    listen = 127.0.0.1
    base_dir = <dir>/run                      # sockets and pid: nothing under /run or /etc is used
    state_dir = <dir>/state
    log_path = <dir>/dovecot.log
    ssl = no                                  # loopback only; production mailboxes use IMAPS
    disable_plaintext_auth = no
    auth_mechanisms = plain login
    mail_location = maildir:<dir>/mail/%u
    default_internal_user / default_login_user = dovecot / dovenull when run as root, else the caller
    first_valid_uid = 0
    passdb { driver = passwd-file  args = scheme=PLAIN <dir>/users }
    userdb { driver = passwd-file  args = <dir>/users }   # "user:{PLAIN}pw:uid:gid::home"
    service imap-login { inet_listener imap { address = 127.0.0.1  port = <free port> }
                         inet_listener imaps { port = 0 } }

Run in the foreground (``dovecot -F -c <conf>``) as a child of the test, stopped with it.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "phananh", "mat-khau-hop-thu-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Dovecot:
    root: Path
    port: int = field(default_factory=_free_port)
    host: str = "127.0.0.1"
    user: str = USER
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None

    def _accounts(self) -> tuple[str, str, int]:
        """Internal user, login user and the uid that owns the mail (Dovecot never runs mail as root)."""
        if os.geteuid() == 0:
            return "dovecot", "dovenull", pwd.getpwnam("nobody").pw_uid
        me = pwd.getpwuid(os.geteuid())
        return me.pw_name, me.pw_name, me.pw_uid

    def write_config(self) -> Path:
        internal, login, uid = self._accounts()
        gid = pwd.getpwuid(uid).pw_gid
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chmod(self.root / "run", 0o755)
        mail = self.root / "mail"
        if os.geteuid() == 0:
            os.chown(mail, uid, gid)
        users = self.root / "users"
        users.write_text(f"{self.user}:{{PLAIN}}{self.password}:{uid}:{gid}::{mail / self.user}\n")
        users.chmod(0o644)
        conf = self.root / "dovecot.conf"
        conf.write_text(f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root / 'run'}
state_dir = {self.root / 'state'}
log_path = {self.root / 'dovecot.log'}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{mail}/%u
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {users}
}}
userdb {{
  driver = passwd-file
  args = {users}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
""")
        return conf

    def start(self, timeout: float = 15.0) -> None:
        conf = self.write_config()
        # Its own process group: stopping it ends the master and every child it started (imap, auth).
        self.process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out = self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""
                raise RuntimeError(f"dovecot exited: {out}\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"dovecot did not answer on port {self.port} in {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)  # open IMAP sessions die too, as in a real outage
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait()
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None
        # Its children (auth, imap-login, imap) exit with the master; wait until the port is free.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
                time.sleep(0.1)
            except OSError:
                return

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def new_dovecot_dir() -> Path:
    """A short directory (unix socket paths are limited to ~100 bytes) readable by Dovecot's users."""
    return Path(tempfile.mkdtemp(prefix="ioc-dovecot-"))
