"""Pure functions behind pop-on-alert: distance on the sphere, the nearest camera, which incident wins."""

from __future__ import annotations

import pytest

from data.geo.geometry import distance_m
from data.geo.proximity import CameraPoint, Incident, camera_to_pop, nearest_camera

# Huế: Ngọ Môn and the Trường Tiền bridge (Lê Lợi end) are about 1.17 km apart.
NGO_MON = (16.4668, 107.5789)
TRUONG_TIEN = (16.4676, 107.5895)
CAMERAS = [CameraPoint(9, *NGO_MON), CameraPoint(3, *TRUONG_TIEN), CameraPoint(1, 16.4668, 107.5912)]


def test_distance_matches_known_lengths() -> None:
    assert distance_m(*NGO_MON, *NGO_MON) == 0
    # One degree of latitude is ~110.6 km near the equator, ~111.0 km in mean-radius haversine.
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, rel=1e-4)
    assert distance_m(*NGO_MON, *TRUONG_TIEN) == pytest.approx(1_134, rel=0.01)
    assert distance_m(*NGO_MON, *TRUONG_TIEN) == pytest.approx(distance_m(*TRUONG_TIEN, *NGO_MON))


def test_nearest_camera_within_radius() -> None:
    found = nearest_camera(16.4670, 107.5790, CAMERAS, within_m=300)
    assert found is not None and found[0].id == 9 and found[1] < 30
    # Between cameras 3 and 1 (~180 m apart): the nearer one wins.
    found = nearest_camera(16.4670, 107.5908, CAMERAS, within_m=300)
    assert found is not None and found[0].id == 1


def test_nothing_beyond_radius_or_without_cameras() -> None:
    assert nearest_camera(16.4800, 107.6200, CAMERAS, within_m=300) is None
    assert nearest_camera(*NGO_MON, [], within_m=300) is None
    assert nearest_camera(16.4668 + 0.0027, 107.5789, CAMERAS, within_m=300) is None  # ~300.2 m north
    assert nearest_camera(16.4668 + 0.0026, 107.5789, CAMERAS, within_m=300) is not None  # ~289 m


def test_ties_go_to_the_lower_id() -> None:
    twins = [CameraPoint(5, *NGO_MON), CameraPoint(2, *NGO_MON)]
    found = nearest_camera(*NGO_MON, twins)
    assert found is not None and found[0].id == 2


def test_alerts_outrank_reports_and_newest_first() -> None:
    incidents = [
        Incident("report", 900, *TRUONG_TIEN, "new report"),
        Incident("alert", 7, *NGO_MON, "older alert"),
        Incident("alert", 8, 16.4800, 107.6200, "newest alert, no camera near"),
    ]
    pop = camera_to_pop(incidents, CAMERAS)
    assert pop is not None and pop.camera_id == 9 and pop.incident.id == 7
    reports_only = camera_to_pop(incidents[:1], CAMERAS)
    assert reports_only is not None and reports_only.camera_id == 3 and reports_only.distance_m < 1


def test_no_pop_when_nothing_is_near() -> None:
    assert camera_to_pop([Incident("alert", 1, 10.0, 106.0)], CAMERAS) is None
    assert camera_to_pop([], CAMERAS) is None
    assert camera_to_pop([Incident("alert", 1, *NGO_MON)], CAMERAS, within_m=0) is not None  # exactly there


def test_an_alert_raised_by_a_camera_pops_that_camera_even_if_another_is_nearer() -> None:
    here = CameraPoint(1, 16.4600, 107.5900)
    twin = CameraPoint(2, 16.4600, 107.5900)  # same pole, other direction
    motion = Incident("alert", 9, 16.4600, 107.5900, "Phát hiện chuyển động", camera_id=2)
    pop = camera_to_pop([motion], [here, twin])
    assert pop is not None and pop.camera_id == 2 and pop.distance_m == 0.0
    gone = Incident("alert", 10, 16.4600, 107.5900, "camera removed", camera_id=77)
    fallback = camera_to_pop([gone], [here, twin])
    assert fallback is not None and fallback.camera_id == 1  # unknown camera: the nearest, as before
