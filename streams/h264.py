"""H.264 access units as browsers need them: NAL unit types, parameter sets on keyframes."""

from __future__ import annotations

import av


def nal_types(data: bytes) -> set[int]:
    """The NAL unit types in an Annex B H.264 access unit."""
    types: set[int] = set()
    start = data.find(b"\x00\x00\x01")
    while start != -1 and start + 3 < len(data):
        types.add(data[start + 3] & 0x1F)
        start = data.find(b"\x00\x00\x01", start + 3)
    return types


def with_parameter_sets(packet: av.Packet, extradata: bytes) -> av.Packet:
    """A keyframe that carries its SPS/PPS: cameras that send them only in the SDP leave them out,
    and a browser cannot decode an IDR picture without them."""
    data = bytes(packet)
    if not extradata.startswith((b"\x00\x00\x01", b"\x00\x00\x00\x01")) or 7 in nal_types(data):
        return packet
    fixed = av.Packet(extradata + data)
    fixed.pts, fixed.dts, fixed.time_base = packet.pts, packet.dts, packet.time_base
    fixed.is_keyframe = True
    return fixed
