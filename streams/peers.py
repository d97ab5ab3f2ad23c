"""WebRTC peers of the browsers: offer in, answer out (no trickle ICE), closed on failure and at shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from aiortc.exceptions import OperationError
from aiortc.rtcrtpparameters import RTCRtpCodecCapability

from data.core.errors import InvalidInput, IocError
from streams.hub import CameraRef, Hub
from streams.source import CameraSource

log = logging.getLogger(__name__)
MAX_SDP = 32_000


@dataclass(frozen=True)
class Answer:
    sdp: str
    type: str
    transcoding: bool


@dataclass(eq=False)  # kept in a set by identity
class Viewer:
    """One browser watching one camera: released exactly once, however its peer ends."""

    camera: CameraRef
    source: CameraSource
    pc: RTCPeerConnection
    closed: bool = False
    watchdog: asyncio.Task[None] | None = field(default=None, repr=False)


def codecs_for(mime_type: str) -> list[RTCRtpCodecCapability]:
    """Our codec capabilities of one MIME type, e.g. every H.264 variant aiortc can send."""
    return [c for c in RTCRtpSender.getCapabilities("video").codecs if c.mimeType == mime_type]


def first_codec(sdp: str) -> str | None:
    """The codec name (e.g. ``H264``) a description puts first on its video line."""
    payload: str | None = None
    for line in sdp.splitlines():
        if line.startswith("m=video"):
            fields = line.split()
            payload = fields[3] if len(fields) > 3 else None
        elif payload is not None and line.startswith(f"a=rtpmap:{payload} "):
            return line.split(" ", 1)[1].split("/", 1)[0]
    return None


def without_mdns_candidates(sdp: str) -> str:
    """The SDP without ``*.local`` host candidates.

    A browser without camera permission hides its host addresses behind mDNS names; aioice would
    spend a second trying to resolve each (nobody answers across subnets, nor in headless Chromium)
    before the answer leaves. Without them ICE still connects: the browser's checks reach our own
    candidates and aioice learns its address from them (a peer-reflexive candidate).
    """
    lines = sdp.split("\r\n")
    return "\r\n".join(line for line in lines if not (line.startswith("a=candidate:") and ".local " in line))


def check_offer(sdp: object, kind: object) -> RTCSessionDescription:
    """The browser's offer, or InvalidInput: a video offer, not an answer, of a sane size."""
    if kind != "offer" or not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP:
        raise InvalidInput("Yêu cầu kết nối video không hợp lệ (offer)")
    if "m=video" not in sdp:
        raise InvalidInput("Yêu cầu kết nối video không có luồng hình (m=video)")
    return RTCSessionDescription(sdp=without_mdns_candidates(sdp), type="offer")


class PeerManager:
    """Owns every RTCPeerConnection of this gateway."""

    def __init__(self, hub: Hub, ice_servers: list[str], connect_timeout_s: float, answer_wait_s: float) -> None:
        self._hub = hub
        self._ice = [RTCIceServer(urls=url) for url in ice_servers]
        self._connect_timeout = connect_timeout_s
        self._answer_wait = answer_wait_s
        self._viewers: set[Viewer] = set()

    def __len__(self) -> int:
        return len(self._viewers)

    async def answer(self, camera: CameraRef, offer: RTCSessionDescription) -> Answer:
        """Answer a browser's offer with the camera's track, passed through when it is H.264."""
        source = self._hub.acquire(camera)
        # A new pull must learn its codec before we choose one for the browser.
        await source.wait_opened(self._answer_wait)
        pc = RTCPeerConnection(RTCConfiguration(iceServers=self._ice))
        viewer = Viewer(camera, source, pc)
        self._viewers.add(viewer)
        try:
            await self._negotiate(viewer, offer)
        except Exception:
            await self._close(viewer)
            raise
        viewer.watchdog = asyncio.create_task(self._watch_connect(viewer))
        local = pc.localDescription
        return Answer(sdp=local.sdp, type=local.type, transcoding=source.transcoding)

    async def _negotiate(self, viewer: Viewer, offer: RTCSessionDescription) -> None:
        pc, source = viewer.pc, viewer.source

        @pc.on("connectionstatechange")
        async def _on_state() -> None:
            log.info("%s: viewer peer %s", viewer.camera.code, pc.connectionState)
            if pc.connectionState in ("failed", "closed"):
                await self._close(viewer)

        sender = pc.addTrack(source.subscribe())
        transceiver = next(t for t in pc.getTransceivers() if t.sender is sender)
        # After addTrack and before the offer is applied (aiortc picks the codecs in
        # setRemoteDescription): otherwise VP8 is negotiated and the H.264 bytes go out labelled
        # VP8 (the browser decodes nothing, nobody logs anything).
        transceiver.setCodecPreferences(codecs_for(source.mime_type))
        try:
            await pc.setRemoteDescription(offer)
        except OperationError:
            raise InvalidInput(f"Trình duyệt không nhận được {source.mime_type} (không có codec chung)") from None
        await pc.setLocalDescription(await pc.createAnswer())  # aiortc gathers every candidate here
        negotiated = first_codec(pc.localDescription.sdp)
        if f"video/{negotiated}".lower() != source.mime_type.lower():
            raise IocError(f"Đàm phán sai codec: {negotiated}", status=500)

    async def _watch_connect(self, viewer: Viewer) -> None:
        await asyncio.sleep(self._connect_timeout)
        if viewer.pc.connectionState != "connected" and not viewer.closed:
            log.info("%s: viewer never connected, closing its peer", viewer.camera.code)
            await self._close(viewer)

    async def _close(self, viewer: Viewer) -> None:
        if viewer.closed:
            return
        viewer.closed = True
        self._viewers.discard(viewer)
        current = asyncio.current_task()
        if viewer.watchdog is not None and viewer.watchdog is not current:
            viewer.watchdog.cancel()
        self._hub.release(viewer.camera, viewer.source)
        with contextlib.suppress(Exception):
            await viewer.pc.close()

    async def close_all(self) -> None:
        """Close every peer (shutdown)."""
        await asyncio.gather(*(self._close(v) for v in list(self._viewers)), return_exceptions=True)
