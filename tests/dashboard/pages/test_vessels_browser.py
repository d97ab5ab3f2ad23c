"""The fishing-vessel layer in a real headless Chromium against `python app.py`: positions posted to the
live ingest endpoint, then drawn on /map as coloured boats with their state on hover, tracks and zones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, expect

from data.accounts.apikeys import create_api_key
from data.models import utcnow
from data.monitoring.vessels import API_CHANNEL, check_silent, upsert_zone
from layers.vessels import STATE_STYLE, ZONE_COLOUR
from tests.browser import LiveApp, login, start_app, stopped_at_end, watch
from tests.dbfixtures import open_runtime

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]
ZONE = {"type": "Polygon", "coordinates": [[[107.55, 16.40], [107.65, 16.40], [107.65, 16.52], [107.55, 16.52],
                                            [107.55, 16.40]]]}  # around the map's default centre, for the test


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveApp, str]]:
    tmp: Path = tmp_path_factory.mktemp("vessels")
    url = f"sqlite:///{tmp / 'live.sqlite3'}"
    with stopped_at_end(start_app(tmp, IOC_DATABASE_URL=url, IOC_DEMO="false", IOC_RUN_STREAMS="false")) as app:
        with open_runtime(url) as runtime, runtime.session() as session:
            upsert_zone(session, "VL-T", "Vùng thử nghiệm", ZONE)
            _, key = create_api_key(session, "Trạm bờ thử nghiệm", API_CHANNEL)
        yield app, key
    assert "Traceback" not in app.log(), app.log()[-3000:]


def test_posted_boats_appear_on_the_map_in_their_state(live: tuple[LiveApp, str], browser: Browser) -> None:
    app, key = live
    now = utcnow().replace(microsecond=0)

    def at(minutes_ago: int) -> str:
        return (now - timedelta(minutes=minutes_ago)).isoformat() + "Z"

    batch = [
        {"vessel": "TTH-1-TS", "at": at(12), "lat": 16.45, "lon": 107.58, "speed_kn": 4},
        {"vessel": "TTH-1-TS", "at": at(2), "lat": 16.47, "lon": 107.60, "speed_kn": 5},
        {"vessel": "TTH-2-TS", "at": at(1), "lat": 16.47, "lon": 107.70, "name": "Ngoài vùng"},
        {"vessel": "TTH-3-TS", "at": at(50), "lat": 16.44, "lon": 107.57},
    ]
    answer = requests.post(f"{app.url}/api/vessels/positions", json=batch, headers={"X-API-Key": key}, timeout=30)
    assert answer.status_code == 200 and answer.json()["stored"] == 4 and len(answer.json()["alerts"]) == 1
    with open_runtime(app.database_url) as runtime:
        assert len(check_silent(runtime)) == 1
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    watched = watch(context.new_page())
    page = watched.page
    login(page, app.url)
    page.goto(f"{app.url}/map")
    for state in ("ok", "out_of_zone", "silent"):
        expect(page.locator(f"#map-map path.leaflet-interactive[fill='{STATE_STYLE[state][0]}']")).to_have_count(1)
    expect(page.locator(f"#map-map path.leaflet-interactive[fill='{ZONE_COLOUR}']")).to_have_count(1)
    expect(page.locator("#map-map path.leaflet-interactive[fill='none']")).to_have_count(1)  # TTH-1's track
    # The boat's own open alert pulses right on top of it: hover the boat's marker by its event, not the pointer.
    page.locator(f"#map-map path.leaflet-interactive[fill='{STATE_STYLE['silent'][0]}']").dispatch_event("mouseover")
    expect(page.locator(".leaflet-tooltip")).to_contain_text("TTH-3-TS")
    expect(page.locator(".leaflet-tooltip")).to_contain_text("Mất tín hiệu")

    # A new boat reports while the map is open: it appears without a reload (the live feed's "vessels").
    expect(page.locator("#live-indicator")).to_have_attribute("data-state", "on")
    more = [{"vessel": "TTH-4-TS", "at": at(0), "lat": 16.46, "lon": 107.59, "speed_kn": 3}]
    answer = requests.post(f"{app.url}/api/vessels/positions", json=more, headers={"X-API-Key": key}, timeout=30)
    assert answer.status_code == 200 and answer.json()["stored"] == 1
    ok_boats = page.locator(f"#map-map path.leaflet-interactive[fill='{STATE_STYLE['ok'][0]}']")
    expect(ok_boats).to_have_count(2)
    errors = list(watched.errors)
    context.close()
    assert errors == [], "\n".join(errors)
