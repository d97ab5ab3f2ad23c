"""Stream URLs: which are accepted, how a password is masked, and how a masked URL keeps the stored one."""

from __future__ import annotations

import pytest

from data.cameras.editing import CameraInput, input_problems
from data.cameras.urls import MASK, URL_MESSAGES, checked_url, masked, unmasked, url_reason
from data.core.errors import InvalidInput

STORED = "rtsp://admin:s3cret-pass@10.0.0.5:554/Streaming/Channels/101"


@pytest.mark.parametrize(("url", "reason"), [
    ("rtsp://admin:pw@10.0.0.5:554/stream1", None),
    ("rtsps://cam.hue.gov.vn/live", None),
    ("http://10.0.0.7/mjpg/video.mjpg", None),
    ("https://cam.example.vn/hls/index.m3u8", None),
    ("rtsp://[2001:db8::5]:554/s1", None),
    ("demo:street", None),  # the demo's own cameras, drawn by the gateway
    ("", "url_missing"),
    ("ftp://10.0.0.5/video", "url_scheme"),
    ("file:///etc/passwd", "url_scheme"),
    ("10.0.0.5:554/stream1", "url_scheme"),
    ("rtsp:10.0.0.5", "url_scheme"),
    ("rtsp://10.0.0.5:99999/s", "url_port"),
    ("rtsp://10.0.0.5:0/s", "url_port"),
    ("rtsp:///stream1", "url_host"),
    ("rtsp://10.0.0.5/str eam", "url_space"),
    ("rtsp://10.0.0.5/" + "x" * 1000, "url_too_long"),
])
def test_url_reasons(url: str, reason: str | None) -> None:
    assert url_reason(url) == reason


def test_checked_url_names_the_field_and_what_is_expected() -> None:
    with pytest.raises(InvalidInput) as refused:
        checked_url("ftp://10.0.0.5/video", "Địa chỉ luồng chính")
    assert refused.value.message.startswith("Địa chỉ luồng chính: ")
    assert "rtsp://" in refused.value.message
    assert checked_url("  rtsp://10.0.0.5/s1 ", "x") == "rtsp://10.0.0.5/s1"


def test_masked_hides_the_password_and_secret_parameters_only() -> None:
    assert masked(STORED) == f"rtsp://admin:{MASK}@10.0.0.5:554/Streaming/Channels/101"
    assert masked("http://10.0.0.7/snap.cgi?user=admin&pwd=abc123&channel=1") == \
        f"http://10.0.0.7/snap.cgi?user=admin&pwd={MASK}&channel=1"
    assert masked("rtsp://10.0.0.5/s1") == "rtsp://10.0.0.5/s1"
    assert masked("rtsp://viewer@10.0.0.5/s1") == "rtsp://viewer@10.0.0.5/s1"
    assert masked(None) == ""
    assert "s3cret" not in masked("rtsp://admin:s3cret@10.0.0.5:99999/s")  # even an unreadable port


def test_unmasked_keeps_the_stored_password_when_the_mask_comes_back() -> None:
    assert unmasked(masked(STORED), STORED) == STORED
    moved = f"rtsp://admin:{MASK}@10.0.0.6:8554/Streaming/Channels/102"  # new address, same password
    assert unmasked(moved, STORED) == "rtsp://admin:s3cret-pass@10.0.0.6:8554/Streaming/Channels/102"
    assert unmasked("rtsp://admin:new-pass@10.0.0.5/s", STORED) == "rtsp://admin:new-pass@10.0.0.5/s"
    query = "http://10.0.0.7/snap.cgi?user=admin&pwd=abc123"
    assert unmasked(masked(query), query) == query
    with pytest.raises(InvalidInput, match="chưa có mật khẩu"):
        unmasked(f"rtsp://admin:{MASK}@10.0.0.5/s", None)  # a new camera: nothing to keep
    with pytest.raises(InvalidInput, match="chưa có mật khẩu"):
        unmasked(f"rtsp://admin:{MASK}@10.0.0.5/s", "rtsp://10.0.0.5/s")


def test_input_problems_name_every_wrong_field() -> None:
    good = CameraInput(code="CAM-001", name="Cầu Trường Tiền", stream_url="rtsp://10.0.0.5/s1", lat=16.47, lon=107.59)
    assert input_problems(good) == []
    bad = CameraInput(code="CAM 1", name=" ", stream_url="ftp://x", sub_stream_url="rtsp:///s", lat=95.0, lon=None)
    fields = [field for field, _ in input_problems(bad)]
    assert fields == ["code", "name", "stream_url", "sub_stream_url", "lon"]
    assert dict(input_problems(bad))["stream_url"] == URL_MESSAGES["url_scheme"]
    out_of_range = CameraInput(code="C", name="n", stream_url="rtsp://h/s", lat=95.0, lon=200.0)
    assert [f for f, _ in input_problems(out_of_range)] == ["lat", "lon"]
