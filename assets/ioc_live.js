/* The live feed: one EventSource per screen on /live/events (dashboard/api/live.py).
 *
 * It draws the "live" badge (with the age of the last data while it reconnects), the alert ticker
 * and the pop-up for severe alerts without any server round trip, and hands every message to Dash
 * through the `live-event` store, so a page refreshes only what a message concerns.
 * The browser's EventSource reconnects by itself (resuming with Last-Event-ID) after a dropped
 * connection, but gives up for good (readyState 2, CLOSED) on an answer that is not a stream: the 502 of a
 * reverse proxy while the web restarts, a 401 once the session has ended. Then this script asks
 * /live/session: a 401 sends the screen to the login page; anything else, it reconnects with a backoff
 * (1 s, 2 s, 4 s … 30 s, jittered, so a restarted server is not met by every screen at once).
 */
(function () {
  "use strict";
  var STALE_MS = 25000;  // no message (the server pings every 10 s) for this long: treat as cut
  var DEAD_MS = 45000;  // ... and for this long on an "open" stream: a half-dead connection, open a new one
  var BACKOFF_MAX_MS = 30000;
  var source = null, lastMessage = 0, connected = false, labels = {}, openAlerts = [];
  var retries = 0, closedCount = 0, waiting = false, openedAt = 0;
  var popupShown = {};

  function $(id) { return document.getElementById(id); }

  function age(ms) {
    var s = Math.round(ms / 1000);
    var text = s < 60 ? s + " s" : Math.round(s / 60) + " min";
    return (labels.age + " " + text + " " + (labels.ago || "")).trim();
  }

  function drawBadge() {
    var badge = $("live-indicator");
    if (!badge) { return; }
    var fresh = connected && Date.now() - lastMessage < STALE_MS;
    badge.className = "badge ioc-live " + (fresh ? "text-bg-success" : "text-bg-danger");
    badge.dataset.state = fresh ? "on" : "off";
    badge.textContent = fresh ? "● " + labels.on
      : "○ " + labels.off + (lastMessage ? " · " + age(Date.now() - lastMessage) : "");
  }

  // Pages that redraw heavy figures listen to `live-tick`: at most one tick per TICK_MS (the first at once,
  // the last of a burst at the end), so 500 reports a second cost a screen one refresh, not 500.
  var TICK_MS = 2000, lastTick = 0, tickTimer = null, tickTopics = {};
  function tick() {
    tickTimer = null;
    lastTick = Date.now();
    window.dash_clientside.set_props("live-tick", {data: {topics: Object.keys(tickTopics), at: lastTick}});
    tickTopics = {};
  }

  function toDash(message) {
    if (!(window.dash_clientside && window.dash_clientside.set_props)) { return; }
    window.dash_clientside.set_props("live-event", {data: message});
    tickTopics[message.topic] = true;
    if (!tickTimer) { tickTimer = setTimeout(tick, Math.max(0, lastTick + TICK_MS - Date.now())); }
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function drawTicker() {
    var ticker = $("live-ticker");
    if (!ticker) { return; }
    ticker.replaceChildren();
    if (!openAlerts.length) {
      ticker.appendChild(el("span", "ioc-ticker-empty", labels.none));
      return;
    }
    var track = el("div", "ioc-ticker-track");
    openAlerts.forEach(function (a) {
      var item = el("a", "ioc-ticker-item ioc-sev-" + a.severity);
      item.href = "/alerts?id=" + a.id;
      item.dataset.alertId = a.id;
      item.dataset.status = a.status;
      item.textContent = a.title;
      track.appendChild(item);
    });
    ticker.appendChild(track);
  }

  function beep() {
    if (localStorage.getItem("ioc-live-sound") !== "1") { return; }
    try {
      var ctx = new (window.AudioContext || window.webkitAudioContext)();
      var osc = ctx.createOscillator();
      osc.frequency.value = 880;
      osc.connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    } catch (e) { /* no audio device on this screen */ }
  }

  function act(id, action) {
    return fetch("/live/alerts/" + id + "/" + action, {
      method: "POST", credentials: "same-origin",
      headers: {"X-IOC-Live": "1", "Content-Type": "application/json"}, body: "{}"
    });
  }

  function closePopup() {
    var box = $("live-popup");
    if (box) { box.replaceChildren(); }
  }

  function showPopup(alert) {
    var box = $("live-popup");
    if (!box || popupShown[alert.id]) { return; }
    popupShown[alert.id] = true;
    var panel = el("div", "ioc-popup alert alert-danger shadow");
    panel.id = "live-popup-" + alert.id;
    panel.dataset.alertId = alert.id;
    panel.appendChild(el("div", "fw-bold", "⚠ " + labels.severe));
    panel.appendChild(el("div", "fs-5 my-2", alert.title));
    var ack = el("button", "btn btn-danger btn-sm me-2", labels.ack);
    ack.id = "live-popup-ack";
    ack.onclick = function () { act(alert.id, "ack").then(closePopup); };
    var open = el("a", "btn btn-outline-dark btn-sm me-2", labels.open);
    open.href = "/alerts?id=" + alert.id;
    var later = el("button", "btn btn-link btn-sm", labels.later);
    later.onclick = closePopup;
    panel.append(ack, open, later);
    box.replaceChildren(panel);
    beep();
  }

  function onAlert(message) {
    if (message.action === "raised" && message.severity === "critical") {
      showPopup(message);
    } else if (message.status && message.status !== "new") {
      var panel = $("live-popup-" + message.id);
      if (panel) { closePopup(); }  // acknowledged on another screen
    }
  }

  function received(event) {
    lastMessage = Date.now();
    connected = true;
    drawBadge();
    if (event.type === "hello") { retries = 0; }
    if (event.type === "ping" || event.type === "hello") { return; }
    var message = JSON.parse(event.data);
    if (event.type === "snapshot") {
      openAlerts = message.alerts || [];
      drawTicker();
      message.topic = "snapshot";
    } else if (event.type === "alerts") {
      onAlert(message);
    }
    message.received = Date.now();
    toDash(message);
  }

  var screenId = Math.random().toString(36).slice(2, 12);

  function connect() {
    if (source || waiting || !$("live-indicator")) { return; }
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("live-screen", {data: screenId});
    }
    labels = JSON.parse($("live-indicator").dataset.labels || "{}");
    var topics = JSON.parse($("live-indicator").dataset.topics || "[]");  // dashboard/api/live.py's TOPICS
    source = new EventSource("/live/events");
    openedAt = Date.now();
    ["snapshot", "hello", "ping"].concat(topics).forEach(function (type) {
      source.addEventListener(type, received);
    });
    source.onerror = function () {
      connected = false;
      drawBadge();
      if (source && source.readyState === EventSource.CLOSED) { reconnectLater(); }
    };
  }

  function backoff() {
    var ceiling = Math.min(BACKOFF_MAX_MS, 1000 * Math.pow(2, retries));
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  // The browser gave up on this source (or it went silent): drop it, ask whether the session still
  // counts, and open a new one after the backoff.
  function reconnectLater() {
    if (source) { source.close(); source = null; }
    closedCount += 1;
    waiting = true;
    var retry = function () {
      setTimeout(function () { waiting = false; retries += 1; connect(); }, backoff());
    };
    fetch("/live/session", {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (response.status === 401) {
        window.location.assign("/login?required=1&next=" +
                               encodeURIComponent(window.location.pathname + window.location.search));
        return;
      }
      retry();
    }, retry);
  }

  function soundButton() {
    var button = $("live-sound");
    if (!button || button.dataset.ready) { return; }
    button.dataset.ready = "1";
    var draw = function () {
      button.textContent = localStorage.getItem("ioc-live-sound") === "1" ? "🔔" : "🔕";
    };
    button.onclick = function () {
      localStorage.setItem("ioc-live-sound", localStorage.getItem("ioc-live-sound") === "1" ? "0" : "1");
      draw();
    };
    draw();
  }

  // Dash draws the shell after this script runs: wait for the badge, then keep the badge's age current.
  setInterval(function () {
    if (!source) { connect(); }
    var heard = Math.max(lastMessage, openedAt);
    if (source && source.readyState === EventSource.OPEN && Date.now() - heard > DEAD_MS) {
      reconnectLater();
    }
    soundButton();
    drawBadge();
    if (source && $("live-ticker") && !$("live-ticker").childElementCount) { drawTicker(); }
  }, 1000);
  window.iocLive = {state: function () {
    return {connected: connected, lastMessage: lastMessage, readyState: source ? source.readyState : 2,
            closed: closedCount, retries: retries};
  }};
})();
