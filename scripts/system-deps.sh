#!/usr/bin/env bash
# Debian packages the tests need (a real Chromium, GStreamer's RTSP server), and the services
# (PostgreSQL, Redis) started if they are installed but not running. Needs root or sudo.
set -euo pipefail

PACKAGES=(
  chromium chromium-driver
  gstreamer1.0-rtsp gir1.2-gst-rtsp-server-1.0 python3-gi gir1.2-gstreamer-1.0
  gir1.2-gst-plugins-base-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-x gstreamer1.0-libav
  fonts-dejavu-core
  dovecot-imapd
  postgresql redis-server  # outage tests start private servers of their own (initdb/pg_ctl, redis-server)
  nginx  # the reverse proxy of tests/test_live_restart.py (run by the test on its own port, not as a service)
)
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# PostGIS for the installed server's major version (tests/data/geo/test_postgis.py; production's
# IOC_POSTGIS): postgresql-15-postgis-3 on Debian 12.
if command -v psql >/dev/null; then
  pg_major="$(psql --version | sed -E 's/^[^0-9]*([0-9]+).*/\1/')"
  postgis="postgresql-${pg_major}-postgis-3"
  if ! dpkg-query -W -f='${Status}' "$postgis" 2>/dev/null | grep -q "install ok installed"; then
    echo "installing Debian package: $postgis"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "$postgis"
  fi
fi

# Start the services if they are installed here but stopped (CI machines start them already).
if command -v pg_ctlcluster >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if command -v redis-server >/dev/null && ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  $SUDO redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/redis-ioc.log || true
fi
