"""Push to every open screen: the bus (Redis pub/sub, or in-process) to the browser as Server-Sent Events.

Why SSE from the Flask app, not Dash websocket callbacks or a separate push server: SSE needs no
second server, no CORS and no new backend (Dash's websocket callbacks need an ASGI backend), rides
the login cookie, and the browser's ``EventSource`` reconnects by itself, resuming with
``Last-Event-ID``. The cost is one idle thread per connected screen in the web worker, so
production runs gunicorn's gthread workers with enough threads for its screens (README).

One ``Fanout`` per web process subscribes to the bus once and copies each message to every screen's
queue: 20 screens cost one subscription, and the open-alerts *snapshot* that every screen shows
(the ticker) is read once per change per process, never once per screen.

Streams end by themselves when the web process stops gracefully (``stop_streams``, called from
gunicorn's SIGTERM by ``gunicorn.conf.py``), so a restart does not wait out gunicorn's graceful timeout,
and when the screen's sign-in session ends (checked at each heartbeat).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import queue
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request, stream_with_context
from flask_login import current_user
from sqlalchemy import select

from dashboard.auth import audit_action, session_token
from dashboard.camera_access import viewer_cameras
from data.accounts import sessions as login_sessions
from data.alerts import events as alerts
from data.core.errors import Forbidden, InvalidInput, IocError
from data.core.runtime import Runtime
from data.core.text import ascii_digits
from data.models import Alert, Camera
from layers.registry import LAYERS

log = logging.getLogger(__name__)
# The topics screens get for themselves (the ticker and pop-up, report counts, public warnings), and every
# topic a map layer redraws on (``Layer.live_topic``): a new live layer needs no line here.
SCREEN_TOPICS = ("reports", "alerts", "warnings")
TOPICS = tuple(dict.fromkeys([*SCREEN_TOPICS, *(layer.live_topic for layer in LAYERS if layer.live_topic)]))
HEARTBEAT_S = 10.0  # a comment line this often: proxies keep the stream open, dead sockets are found
REPLAY = 500  # messages kept for a screen that reconnects with Last-Event-ID
CLIENT_QUEUE = 1000
SNAPSHOT_ALERTS = 20
ACTION_HEADER = "X-IOC-Live"  # a custom header: a cross-site form cannot send it, so no CSRF
EXTENSION = "ioc_live"  # the process's Fanout, in the Flask app's extensions (for ``stop_streams``)
Item = tuple[str, str, dict[str, Any]] | None  # None in a screen's queue: the process is stopping
# Per topic, the fields a screen may see (a report's message never carries its reporter anyway); a
# topic not listed goes out bare: a map layer needs to hear only that it changed.
FIELDS = {
    "reports": ("id", "tracking_code", "channel", "status", "action", "processed"),
    "alerts": ("id", "action", "kind", "severity", "status", "title", "at", "camera_id", "screen"),
    "cameras": ("camera_id", "code", "state"),
    "warnings": ("id", "action", "title", "severity"),
    "vessels": ("stored",),
}


def frame(event_id: str | None, event: str, data: dict[str, Any]) -> str:
    """One SSE frame (a ``data:`` line holds no newline: json.dumps never writes one)."""
    head = f"id: {event_id}\n" if event_id else ""
    return f"{head}event: {event}\ndata: {json.dumps(data, ensure_ascii=False, default=str)}\n\n"


def screen_message(message: dict[str, Any]) -> dict[str, Any] | None:
    """What of a bus message goes to screens; None for topics screens do not get."""
    topic = message.get("topic")
    if topic not in TOPICS:
        return None
    return {"topic": topic, **{k: message[k] for k in FIELDS.get(str(topic), ()) if k in message}}


class Fanout:
    """The process's one bus subscription, copied to every connected screen's queue."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lock = threading.Lock()
        self._clients: set[queue.Queue[Item]] = set()
        self.stopping = threading.Event()
        self._recent: deque[tuple[int, str, dict[str, Any]]] = deque(maxlen=REPLAY)
        self._seq = itertools.count(1)
        self.epoch = secrets.token_hex(4)  # ids from another process (or before a restart) mean: resync
        self._camera_states: dict[Any, Any] = {}
        self._snapshot: dict[str, Any] | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="live-fanout", daemon=True)
                self._thread.start()

    def connect(self) -> queue.Queue[Item]:
        self.start()
        client: queue.Queue[Item] = queue.Queue(CLIENT_QUEUE)
        with self._lock:
            self._clients.add(client)
        return client

    def disconnect(self, client: queue.Queue[Item]) -> None:
        with self._lock:
            self._clients.discard(client)

    def stop(self) -> None:
        """End every open stream now (the process is stopping): each screen's reader wakes at once."""
        self.stopping.set()
        with self._lock:
            clients = list(self._clients)
        for client in clients:
            # A full queue's reader is busy with queued messages: it checks ``stopping`` after each.
            with contextlib.suppress(queue.Full):
                client.put_nowait(None)

    def since(self, last_event_id: str | None) -> list[tuple[str, str, dict[str, Any]]] | None:
        """Messages after ``last_event_id`` for a screen that reconnects; None when it must resync."""
        if not last_event_id:
            return None
        epoch, _, seq = last_event_id.partition("-")
        if epoch != self.epoch or not ascii_digits(seq):
            return None
        with self._lock:
            recent = list(self._recent)
        if recent and recent[0][0] > int(seq) + 1:
            return None  # the gap is longer than what we keep
        return [(f"{self.epoch}-{n}", topic, data) for n, topic, data in recent if n > int(seq)]

    def snapshot(self) -> dict[str, Any]:
        """The open alerts every screen shows; read from the database once per change, not per screen."""
        with self._lock:
            cached = self._snapshot
        if cached is not None:
            return cached
        with self._runtime.session() as session:
            rows = alerts.open_alerts(session, limit=SNAPSHOT_ALERTS)
            counts = alerts.open_counts(session)
            data = {"alerts": [alert_summary(a) for a in rows], "counts": counts, "at": time.time()}
        with self._lock:
            self._snapshot = data
        return data

    def _broadcast(self, topic: str, data: dict[str, Any]) -> None:
        with self._lock:
            seq = next(self._seq)
            self._recent.append((seq, topic, data))
            clients = list(self._clients)
        item = (f"{self.epoch}-{seq}", topic, data)
        for client in clients:
            try:
                client.put_nowait(item)
            except queue.Full:  # a screen that stopped reading: it will resync when it reconnects
                self.disconnect(client)

    def _changed(self, data: dict[str, Any]) -> bool:
        """Camera health arrives every few seconds per camera: only a change of state goes on."""
        if data["topic"] != "cameras":
            return True
        key = data.get("camera_id")
        if self._camera_states.get(key) == data.get("state"):
            return False
        self._camera_states[key] = data.get("state")
        return True

    def _run(self) -> None:
        subscription = None
        while True:  # a daemon thread: it lives as long as the web process
            try:
                if subscription is None:
                    subscription = self._runtime.bus.subscribe(*TOPICS)
                message = subscription.get(1.0)
                if message is None:
                    continue
                data = screen_message(message)
                if data is None or not self._changed(data):
                    continue
                if data["topic"] == "alerts":
                    with self._lock:
                        self._snapshot = None
                self._broadcast(str(data["topic"]), data)
                if data["topic"] == "alerts":
                    self._broadcast("snapshot", self.snapshot())
            except Exception:  # Redis restarting: keep the thread, resubscribe a moment later
                log.exception("live fan-out: bus read failed; resubscribing")
                subscription = None
                time.sleep(1.0)


def alert_summary(alert: Alert) -> dict[str, Any]:
    return {"id": alert.id, "kind": alert.kind, "severity": alert.severity, "status": alert.status,
            "title": alert.title, "at": alert.created_at.isoformat() + "Z"}


def _shown(topic: str, data: dict[str, Any], sees_alerts: bool, cameras: frozenset[int] | None) -> bool:
    """Whether a screen gets this message: alerts only for their roles, a camera's health only when the
    viewer may see that camera (``cameras``: the ids an agency or ward user sees; None: every camera)."""
    if topic in ("alerts", "snapshot"):
        return sees_alerts
    if topic == "cameras" and cameras is not None:
        return data.get("camera_id") in cameras
    return True


def _stream(fanout: Fanout, last_event_id: str | None, sees_alerts: bool,
            signed_in: Callable[[], bool], cameras: frozenset[int] | None = None) -> Iterator[str]:
    client = fanout.connect()
    try:
        yield f"retry: 2000\n: {' ' * 2048}\n\n"  # padding: some proxies buffer the first 2 KB
        replay = fanout.since(last_event_id)
        if replay is None or sees_alerts:
            yield frame(None, "snapshot", fanout.snapshot() if sees_alerts else {"alerts": [], "counts": {}})
        for event_id, topic, data in replay or []:
            if _shown(topic, data, sees_alerts, cameras):
                yield frame(event_id, topic, data)
        yield frame(None, "hello", {"at": time.time(), "epoch": fanout.epoch})
        while not fanout.stopping.is_set():
            try:
                item = client.get(timeout=HEARTBEAT_S)
            except queue.Empty:
                if not signed_in():  # logged out, expired or revoked meanwhile: the screen must sign in again
                    return
                yield frame(None, "ping", {"at": time.time()})
                continue
            if item is None:
                return
            event_id, topic, data = item
            if _shown(topic, data, sees_alerts, cameras):
                yield frame(event_id, topic, data)
    finally:
        fanout.disconnect(client)


def _cameras_seen(runtime: Runtime) -> frozenset[int] | None:
    """The camera ids whose health this viewer hears (read when the stream opens); None for every camera."""
    scope = viewer_cameras(runtime)
    if scope.everything:
        return None
    with runtime.session() as session:
        return frozenset(session.scalars(select(Camera.id).where(scope.where())))


def _still_signed_in(runtime: Runtime, token: str | None) -> bool:
    """Whether the stream's session still counts; reading does not count as use (only requests do)."""
    if token is None:
        return False
    with runtime.session() as session:
        user = login_sessions.signed_in_user(session, token, runtime.settings.session_lifetimes, touch=False)
        return user is not None


def stop_streams(app: Flask) -> None:
    """End every live stream of this web process (a graceful stop): screens reconnect to the next process."""
    fanout: Fanout | None = app.extensions.get(EXTENSION)
    if fanout is not None:
        fanout.stop()


def make_live_blueprint(runtime: Runtime) -> Blueprint:
    bp = Blueprint("live", __name__)
    fanout = Fanout(runtime)
    bp.record_once(lambda state: state.app.extensions.__setitem__(EXTENSION, fanout))

    @bp.before_request
    def _require_login() -> Any:
        if not current_user.is_authenticated:
            return jsonify({"ok": False, "error": "Cần đăng nhập"}), 401
        return None

    @bp.errorhandler(IocError)
    def _error(exc: IocError) -> Any:
        return jsonify({"ok": False, "error": exc.message}), exc.status

    @bp.get("/events")
    def events() -> Any:
        sees_alerts = current_user.may_open("alerts")
        last = request.headers.get("Last-Event-ID") or request.args.get("last")
        headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
        token = session_token()
        stream = _stream(fanout, last, sees_alerts, lambda: _still_signed_in(runtime, token), _cameras_seen(runtime))
        return Response(stream_with_context(stream), mimetype="text/event-stream", headers=headers)

    @bp.get("/session")
    def signed_in() -> Any:
        """A closed feed asks this: 401 means its session ended (the screen goes to the login page)."""
        return jsonify({"ok": True})

    @bp.post("/alerts/<int:alert_id>/<action>")
    def act(alert_id: int, action: str) -> Any:
        """Acknowledge (or another step) from the wall's pop-up; the Alerts page uses the same function."""
        if request.headers.get(ACTION_HEADER) != "1":
            raise Forbidden(f"Thiếu tiêu đề {ACTION_HEADER}.")
        if not current_user.may_open("alerts"):
            raise Forbidden("Tài khoản này không xử lý cảnh báo.")
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        alert = apply_action(runtime, alert_id, action, user_id=int(current_user.id), note=_text(body.get("note")),
                             step=_number(body.get("step")), assignee_id=_number(body.get("assignee_id")))
        audit_action(f"alert_{action}", target=str(alert_id))
        return jsonify({"ok": True, "id": alert_id, "status": alert["status"]})

    return bp


def _number(value: Any) -> int | None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise InvalidInput(f"Cần một số nguyên, không phải {value!r}.")


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise InvalidInput("Ghi chú phải là văn bản.")


def apply_action(runtime: Runtime, alert_id: int, action: str, screen: str | None = None,
                 **kwargs: Any) -> dict[str, Any]:
    """Act on an alert, commit, then tell every screen: the one path of every operator action.

    ``screen`` is the acting browser tab's id (assets/ioc_live.js), so that tab knows the echo is its own.
    """
    with runtime.session() as session:
        alert = alerts.act(session, alert_id, action, **kwargs)
        session.flush()
        summary = alert_summary(alert)
    alerts.published(runtime, alert, action, screen=screen)  # after the commit: a re-read sees the change
    return summary
