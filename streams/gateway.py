"""The stream gateway: an aiohttp app whose internal API the web app calls over loopback.

Every ``/internal/`` route needs the shared token (``X-IOC-Token``); the browser never talks to this
app except for the WebRTC media itself. ``run_gateway_in_thread`` runs it inside ``python app.py``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hmac
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware
from sqlalchemy import select

from data.cameras.access import viewable_camera
from data.cameras.urls import URL_MESSAGES, url_reason
from data.core.errors import Forbidden, InvalidInput, IocError
from data.core.runtime import Runtime
from data.models import Camera
from streams.demo import DemoCameras
from streams.health import HealthMonitor, health_of
from streams.hub import CameraRef, Hub
from streams.motion_watch import MotionWatch
from streams.patrol import Patrol
from streams.peers import PeerManager, check_offer
from streams.pool import PooledLoop
from streams.probe import ProbeFailed, probe
from streams.snapshot import MULTIPART_BOUNDARY, mjpeg_jpegs, multipart_part, snapshot_jpeg
from streams.source import SourceConfig

log = logging.getLogger(__name__)
TOKEN_HEADER = "X-IOC-Token"
USER_HEADER = "X-IOC-User"  # the signed-in user a camera is served to: the gateway checks their access too
QUALITIES = ("sub", "main")
MJPEG_IDLE_S = 5.0  # how often a silent MJPEG stream checks that its client is still there
SERVER_SHUTDOWN_S = 5.0  # open requests get this long once the gateway stops
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Gateway:
    """Everything one gateway owns: the hub of pulls, the peers, the health, patrol and motion loops, the demo."""

    def __init__(self, runtime: Runtime) -> None:
        settings = runtime.settings
        self.runtime = runtime
        self.hub = Hub(
            settings.streams_idle_grace_s,
            SourceConfig(open_timeout_s=settings.streams_open_timeout_s, transcode_all=settings.streams_transcode_all),
            settings.streams_open_workers,
        )
        self.peers = PeerManager(
            self.hub,
            settings.streams_ice_servers,
            settings.streams_peer_connect_timeout_s,
            settings.streams_answer_wait_s,
        )
        self.health = HealthMonitor(runtime, self.hub)
        self.patrol = Patrol(self.hub, self.idle_candidates, settings.streams_patrol_every_s,
                             settings.streams_patrol_hold_s, settings.streams_patrol_concurrency)
        self.motion = MotionWatch(runtime, self.hub, self.idle_candidates)
        self.demo = DemoCameras(settings.streams_demo_dir, settings.streams_gst_python, settings.streams_demo_rtsp_port)

    async def start(self) -> None:
        self.health.start()
        if self.runtime.settings.demo:
            self.demo.start()
        if self.runtime.settings.streams_patrol_every_s > 0:
            self.patrol.start()
        self.motion.start()  # only when some camera is configured for motion

    async def stop(self) -> None:
        """Peers and holds first (they release their pulls), then the pulls, then the last health pass.

        Each part gets ``streams_stop_timeout_s``: one that hangs (say, waiting on an encoder wedged in
        a worker thread) is left behind with a warning, and the parts after it still stop.
        """
        bound = self.runtime.settings.streams_stop_timeout_s
        parts = (("patrol", self.patrol.stop), ("motion watch", self.motion.stop), ("viewers", self.peers.close_all),
                 ("pulls", self.hub.stop), ("health", self.health.stop), ("demo", self.demo.stop))
        for name, stop in parts:
            try:
                async with asyncio.timeout(bound):
                    await stop()
            except TimeoutError:
                log.warning("gateway: stopping the %s took over %.0f s; left behind", name, bound)

    async def camera(self, camera_id: int, quality: str, user_id: int) -> CameraRef:
        """The camera to pull for ``user_id``, who must be allowed to watch it; its URL never leaves the gateway."""
        if quality not in QUALITIES:
            raise InvalidInput("Chất lượng hình phải là 'sub' hoặc 'main'")
        loop = asyncio.get_running_loop()
        code, url = await loop.run_in_executor(None, self._load_camera, camera_id, quality, user_id)
        return CameraRef(camera_id, code, await self.demo.resolve(url))

    async def probe(self, url: str) -> dict[str, Any]:
        """One picture and the codec, size and rate of a URL not saved yet (the admin's "test connection")."""
        settings = self.runtime.settings
        real = await self.demo.resolve(url)
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(settings.streams_probe_timeout_s + 5):  # FFmpeg's own bound comes first
                found = await loop.run_in_executor(None, probe, real, settings.streams_probe_timeout_s,
                                                   settings.streams_jpeg_quality)
        except TimeoutError:
            raise IocError(f"Camera không trả lời sau {settings.streams_probe_timeout_s:.0f} giây.", status=422,
                           title="Không kết nối được") from None
        except ProbeFailed as failed:
            raise IocError(failed.message, status=422, title="Không kết nối được") from None
        return {"ok": True, **found.as_json(), "jpeg": base64.b64encode(found.jpeg).decode()}

    async def idle_candidates(self) -> list[CameraRef]:
        """Every enabled camera's sub-stream (or stream), for the patrol and the motion watch; URLs stay here."""
        loop = asyncio.get_running_loop()
        rows = await loop.run_in_executor(None, self._load_enabled)
        return [CameraRef(cid, code, await self.demo.resolve(url)) for cid, code, url in rows if url]

    def _load_enabled(self) -> list[tuple[int, str, str]]:
        with self.runtime.session() as session:
            rows = session.execute(select(Camera.id, Camera.code, Camera.sub_stream_url, Camera.stream_url)
                                   .where(Camera.enabled)).all()
        return [(r.id, r.code, r.sub_stream_url or r.stream_url) for r in rows]

    def _load_camera(self, camera_id: int, quality: str, user_id: int) -> tuple[str, str]:
        with self.runtime.session() as session:
            camera = viewable_camera(session, user_id, camera_id)  # the web checked too: this is the second lock
            use_sub = quality == "sub" and bool(camera.sub_stream_url)
            return camera.code, (camera.sub_stream_url if use_sub else camera.stream_url) or ""


GATEWAY = web.AppKey("gateway", Gateway)


def create_gateway(runtime: Runtime) -> web.Application:
    """The gateway app: internal API (token), start-up and an orderly shutdown of every resource."""
    app = web.Application(middlewares=[_errors, _token_check(runtime.settings.streams_internal_token)])
    gateway = Gateway(runtime)
    app[GATEWAY] = gateway
    app.on_startup.append(lambda _app: gateway.start())
    app.on_shutdown.append(lambda _app: gateway.stop())
    app.router.add_get("/healthz", _healthz)
    app.router.add_post("/internal/cameras/{camera_id:\\d+}/offer", _offer)
    app.router.add_get("/internal/cameras/{camera_id:\\d+}/snapshot.jpg", _snapshot)
    app.router.add_get("/internal/cameras/{camera_id:\\d+}/mjpeg", _mjpeg)
    app.router.add_get("/internal/status", _status)
    app.router.add_post("/internal/probe", _probe)
    return app


@web.middleware
async def _errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """The one place errors become responses: ``{"ok": false, "error": ...}`` with their status."""
    try:
        return await handler(request)
    except IocError as exc:
        return web.json_response(exc.as_json(), status=exc.status)
    except web.HTTPException as exc:
        return web.json_response({"ok": False, "error": exc.reason}, status=exc.status)
    except Exception:
        log.exception("gateway: %s %s failed", request.method, request.path)
        return web.json_response({"ok": False, "error": "Lỗi máy chủ video"}, status=500)


def _token_check(token: str) -> Middleware:
    expected = token.encode()

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/internal/"):
            given = request.headers.get(TOKEN_HEADER, "").encode()
            if not hmac.compare_digest(given, expected):
                return web.json_response({"ok": False, "error": "Không có quyền"}, status=403)
        return await handler(request)

    return check


def _camera_id(request: web.Request) -> int:
    return int(request.match_info["camera_id"])


def _viewer(request: web.Request) -> int:
    """The user a camera is served to, as the web app names them; no camera is served to nobody."""
    given = request.headers.get(USER_HEADER, "")
    if not given.isascii() or not given.isdigit():
        raise Forbidden("Máy chủ video chỉ phát camera cho một người dùng đã đăng nhập (thiếu X-IOC-User)")
    return int(given)


async def _json_body(request: web.Request) -> dict[str, Any]:
    try:
        body: Any = await request.json()
    except ValueError:
        raise InvalidInput("Yêu cầu không phải JSON") from None
    if not isinstance(body, dict):
        raise InvalidInput("Yêu cầu không phải JSON")
    return body


async def _healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def _offer(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    body = await _json_body(request)
    offer = check_offer(body.get("sdp"), body.get("type"))
    camera = await gateway.camera(_camera_id(request), str(body.get("quality") or "sub"), _viewer(request))
    answer = await gateway.peers.answer(camera, offer)
    return web.json_response({"sdp": answer.sdp, "type": answer.type, "transcoding": answer.transcoding})


async def _snapshot(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    settings = gateway.runtime.settings
    camera = await gateway.camera(_camera_id(request), request.query.get("quality", "sub"), _viewer(request))
    async with gateway.hub.lease(camera) as source:
        jpeg = await snapshot_jpeg(source, settings.streams_jpeg_quality, settings.streams_open_timeout_s + 2)
    if jpeg is None:
        raise IocError("Camera chưa gửi hình", status=503, title="Mất tín hiệu")
    return web.Response(body=jpeg, content_type="image/jpeg", headers={"Cache-Control": "no-store"})


async def _mjpeg(request: web.Request) -> web.StreamResponse:
    gateway = request.app[GATEWAY]
    settings = gateway.runtime.settings
    camera = await gateway.camera(_camera_id(request), request.query.get("quality", "sub"), _viewer(request))
    response = web.StreamResponse(
        headers={
            "Content-Type": f"multipart/x-mixed-replace; boundary={MULTIPART_BOUNDARY}",
            "Cache-Control": "no-store",
        }
    )
    async with gateway.hub.lease(camera) as source:
        track = source.subscribe()
        try:
            await response.prepare(request)
            codec = source.stats.codec or "h264"
            jpegs = mjpeg_jpegs(track, settings.streams_mjpeg_fps, settings.streams_jpeg_quality, codec, MJPEG_IDLE_S)
            async for jpeg in jpegs:
                if request.transport is None or request.transport.is_closing():
                    break
                if jpeg is not None:
                    await response.write(multipart_part(jpeg))
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client went away
        finally:
            track.stop()
    return response


async def _probe(request: web.Request) -> web.Response:
    url = (await _json_body(request)).get("url")
    if not isinstance(url, str):
        raise InvalidInput("Thiếu địa chỉ luồng để thử")
    reason = url_reason(url.strip())  # never a local file or another scheme FFmpeg would open
    if reason is not None:
        raise InvalidInput(URL_MESSAGES[reason])
    return web.json_response(await request.app[GATEWAY].probe(url.strip()))


async def _status(request: web.Request) -> web.Response:
    gateway = request.app[GATEWAY]
    settings = gateway.runtime.settings
    cameras = [
        health_of(source, camera_id, code, settings.streams_stale_after_s, settings.streams_offline_after_s).message()
        for source in gateway.hub.sources()
        for camera_id, code in source.names.items()
    ]
    sources = gateway.hub.sources()
    return web.json_response(
        {
            "ok": True,
            "sources": len(sources),
            "opened_total": gateway.hub.opened_total,
            "peers": len(gateway.peers),
            "cameras": cameras,
            "motion": gateway.motion.status(),
        }
    )


class GatewayThread:
    """The gateway on its own event loop in a thread (embedded mode: ``python app.py``)."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._loop = PooledLoop()  # its worker threads never hold up the process's exit
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="streams-gateway", daemon=True)
        self.app: web.Application | None = None

    @property
    def gateway(self) -> Gateway:
        assert self.app is not None
        return self.app[GATEWAY]

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def start(self, timeout_s: float = 30.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout_s):
            raise RuntimeError("the stream gateway did not start")
        if self._error is not None:
            raise self._error

    def stop(self, timeout_s: float | None = None) -> bool:
        """Close every peer and pull, then end the thread; False (logged) when it has not ended in time.

        The default wait covers every bounded part of the stop (``stop_budget_s``).
        """
        if self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: the thread is ending
                self._loop.call_soon_threadsafe(self._stop.set)
        budget = timeout_s if timeout_s is not None else stop_budget_s(self._runtime.settings.streams_stop_timeout_s)
        self._thread.join(budget)
        if self._thread.is_alive():
            log.error("gateway: still stopping after %.0f s; its threads are daemons and end with the process", budget)
            return False
        return True

    def _main(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start() when it happens before the gateway is up
            self._error = exc
            if self._ready.is_set():
                log.exception("gateway: stopped by an error")
        finally:
            self._ready.set()
            self._close_loop()

    def _close_loop(self) -> None:
        """Cancel what is left on the loop, give the worker threads a bounded time, close the loop."""
        bound = self._runtime.settings.streams_stop_timeout_s
        try:
            tasks = [task for task in asyncio.all_tasks(self._loop) if not task.done()]
            for task in tasks:
                task.cancel()
            if tasks:
                self._loop.run_until_complete(asyncio.wait(tasks, timeout=bound))
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        finally:
            self._loop.pool.shutdown(wait=False, cancel_futures=True)
            busy = self._loop.pool.join(bound)
            if busy:
                log.warning("gateway: %s still busy after %.0f s; left to end with the process", ", ".join(busy), bound)
            self._loop.close()

    async def _serve(self) -> None:
        settings = self._runtime.settings
        self._stop = asyncio.Event()
        self.app = create_gateway(self._runtime)
        runner = web.AppRunner(self.app, handle_signals=False, shutdown_timeout=SERVER_SHUTDOWN_S)
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.streams_host, settings.streams_port).start()
            log.info("gateway: listening on %s", settings.streams_base_url)
            self._ready.set()
            await self._stop.wait()
        finally:
            await runner.cleanup()


STOP_PARTS = 8  # the six parts of Gateway.stop, the tasks left on the loop, the worker threads


def stop_budget_s(part_timeout_s: float) -> float:
    """The longest a gateway's stop can take when every part of it runs into its bound."""
    return STOP_PARTS * part_timeout_s + SERVER_SHUTDOWN_S


def run_gateway_in_thread(runtime: Runtime) -> GatewayThread:
    """Start the gateway in a thread of this process; ``.stop()`` shuts it down cleanly."""
    handle = GatewayThread(runtime)
    handle.start()
    return handle
