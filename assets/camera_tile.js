/*
 * Live camera tiles: <div class="ioc-tile" data-camera-id="7" data-quality="sub"></div>
 *
 * Each tile plays its camera over WebRTC (H.264 passed through by the stream gateway), through
 * the same-origin API /api/cameras/<id>/offer (one HTTP offer/answer, no trickle ICE). The tile
 * says what it shows: connecting, live, stale (with the picture's age) or offline, judged from the
 * frames the browser really decodes (getStats: inbound-rtp framesDecoded), not from the
 * connection's state, which stays "connected" when a camera or a sender dies. It reconnects by
 * itself, falls back to MJPEG when WebRTC cannot work, and closes its peer while nobody can see it.
 *
 * Optional attributes: data-stale-after / data-offline-after (seconds without a new frame).
 * For tests and other scripts: window.iocTiles.stats(cameraId) -> {state, framesDecoded, codec, ...}.
 * Plain JS, no build step; Dash serves it from assets/.
 */
(function () {
  "use strict";

  if (window.iocTiles) {
    return; // loaded twice (Dash hot reload): keep the first
  }

  var TEXT = {
    vi: {
      connecting: "Đang kết nối…",
      live: "TRỰC TIẾP",
      stale: "hình ảnh cũ {n} giây",
      offline: "mất tín hiệu",
      paused: "tạm dừng",
      transcoding: "chuyển mã",
      mjpeg: "MJPEG",
    },
    en: {
      connecting: "Connecting…",
      live: "LIVE",
      stale: "picture {n} s old",
      offline: "no signal",
      paused: "paused",
      transcoding: "transcoded",
      mjpeg: "MJPEG",
    },
  };
  var POLL_MS = 500;
  var STALE_AFTER_S = 2;
  var OFFLINE_AFTER_S = 3;
  var RENEGOTIATE_AFTER_S = 20; // offline this long: build a new peer (a dead sender never comes back)
  var ICE_WAIT_MS = 3000;
  var OFFER_TIMEOUT_MS = 35000;
  var BACKOFF_S = [1, 2, 4, 8, 15, 30];
  var OFFER_FAILURES_BEFORE_MJPEG = 2;

  function lang() {
    var value = (document.documentElement.lang || "vi").toLowerCase();
    return value.indexOf("en") === 0 ? "en" : "vi";
  }

  function text(key, n) {
    var phrase = (TEXT[lang()] || TEXT.vi)[key] || key;
    return n === undefined ? phrase : phrase.replace("{n}", String(n));
  }

  function injectStyle() {
    if (document.getElementById("ioc-tile-style")) {
      return;
    }
    var style = document.createElement("style");
    style.id = "ioc-tile-style";
    style.textContent = [
      ".ioc-tile{position:relative;background:#111;overflow:hidden;min-height:120px}",
      ".ioc-tile video,.ioc-tile img.ioc-tile-mjpeg{width:100%;height:100%;object-fit:contain;display:block}",
      ".ioc-tile-overlay{position:absolute;left:6px;top:6px;display:flex;gap:4px;flex-wrap:wrap;",
      "pointer-events:none;font:600 12px/1.4 system-ui,sans-serif}",
      ".ioc-badge{padding:1px 6px;border-radius:3px;color:#fff;background:rgba(0,0,0,.6)}",
      ".ioc-badge[data-state=live]{background:#c62828}",
      ".ioc-badge[data-state=stale]{background:#ef6c00}",
      ".ioc-badge[data-state=offline]{background:#424242}",
      ".ioc-badge-transcoding{background:#6a1b9a}",
      ".ioc-tile[data-state=offline] video{filter:grayscale(1) brightness(.6)}",
    ].join("");
    document.head.appendChild(style);
  }

  function sleep(ms) {
    return new Promise(function (resolve) {
      setTimeout(resolve, ms);
    });
  }

  function waitForIce(pc) {
    if (pc.iceGatheringState === "complete") {
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var done = function () {
        if (pc.iceGatheringState === "complete") {
          pc.removeEventListener("icegatheringstatechange", done);
          resolve();
        }
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, ICE_WAIT_MS); // send what we have: host candidates come first
    });
  }

  async function postOffer(cameraId, quality, offer) {
    var controller = new AbortController();
    var timer = setTimeout(function () {
      controller.abort();
    }, OFFER_TIMEOUT_MS);
    try {
      var response = await fetch("/api/cameras/" + encodeURIComponent(cameraId) + "/offer", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sdp: offer.sdp, type: offer.type, quality: quality }),
        signal: controller.signal,
      });
      var body = await response.json().catch(function () {
        return {};
      });
      if (!response.ok) {
        throw new Error(body.error || "HTTP " + response.status);
      }
      return body;
    } finally {
      clearTimeout(timer);
    }
  }

  /* One tile: its peer (or MJPEG image), its state, its timers. */
  function Tile(el) {
    this.el = el;
    this.cameraId = el.getAttribute("data-camera-id");
    this.quality = el.getAttribute("data-quality") === "main" ? "main" : "sub";
    this.staleAfter = parseFloat(el.getAttribute("data-stale-after")) || STALE_AFTER_S;
    this.offlineAfter = parseFloat(el.getAttribute("data-offline-after")) || OFFLINE_AFTER_S;
    this.state = "connecting";
    this.mode = window.RTCPeerConnection ? "webrtc" : "mjpeg";
    this.pc = null;
    this.generation = 0; // bumps on every (re)connect: late callbacks of an old peer do nothing
    this.framesDecoded = 0;
    this.codec = null;
    this.transcoding = false;
    this.lastFrameAt = null; // performance.now() of the latest new decoded frame
    this.startedAt = performance.now();
    this.offerFailures = 0;
    this.attempt = 0;
    this.visible = true;
    this.inView = true;
    this.pollTimer = null;
    this.retryTimer = null;
    this.build();
  }

  Tile.prototype.build = function () {
    injectStyle();
    this.video = document.createElement("video");
    this.video.muted = true;
    this.video.autoplay = true;
    this.video.playsInline = true;
    this.video.setAttribute("muted", "");
    this.video.setAttribute("autoplay", "");
    this.video.setAttribute("playsinline", "");
    this.overlay = document.createElement("div");
    this.overlay.className = "ioc-tile-overlay";
    this.badge = document.createElement("span");
    this.badge.className = "ioc-badge ioc-badge-state";
    this.transcodingBadge = document.createElement("span");
    this.transcodingBadge.className = "ioc-badge ioc-badge-transcoding";
    this.transcodingBadge.hidden = true;
    this.ageLabel = document.createElement("span");
    this.ageLabel.className = "ioc-badge ioc-tile-age";
    this.ageLabel.hidden = true;
    this.overlay.append(this.badge, this.transcodingBadge, this.ageLabel);
    this.el.append(this.video, this.overlay);
    this.render();
  };

  Tile.prototype.setState = function (state) {
    if (this.state !== state) {
      this.state = state;
      this.el.dispatchEvent(new CustomEvent("ioc-tile-state", { detail: this.stats(), bubbles: true }));
    }
    this.render();
  };

  Tile.prototype.ageSeconds = function () {
    return this.lastFrameAt === null ? null : Math.floor((performance.now() - this.lastFrameAt) / 1000);
  };

  Tile.prototype.render = function () {
    var age = this.ageSeconds();
    this.el.setAttribute("data-state", this.state);
    this.badge.setAttribute("data-state", this.state);
    this.badge.textContent = text(this.state);
    this.transcodingBadge.hidden = !this.transcoding;
    this.transcodingBadge.textContent = this.mode === "mjpeg" ? text("mjpeg") : text("transcoding");
    if (this.mode === "mjpeg") {
      this.transcodingBadge.hidden = false;
    }
    var showAge = (this.state === "stale" || this.state === "offline") && age !== null;
    this.ageLabel.hidden = !showAge || this.state === "stale";
    if (this.state === "stale") {
      this.badge.textContent = text("stale", age);
    } else if (showAge) {
      this.ageLabel.textContent = text("stale", age);
    }
  };

  Tile.prototype.stats = function () {
    return {
      cameraId: this.cameraId,
      state: this.state,
      mode: this.mode,
      framesDecoded: this.framesDecoded,
      codec: this.codec,
      transcoding: this.transcoding,
      lastFrameAgeS: this.ageSeconds(),
      connectionState: this.pc ? this.pc.connectionState : null,
    };
  };

  Tile.prototype.shouldRun = function () {
    return this.visible && this.inView && this.el.isConnected;
  };

  Tile.prototype.connect = function () {
    this.stop();
    if (!this.shouldRun()) {
      this.setState("paused");
      return;
    }
    if (this.mode === "mjpeg") {
      this.startMjpeg();
    } else {
      this.startWebRtc();
    }
  };

  Tile.prototype.startWebRtc = async function () {
    var generation = ++this.generation;
    var self = this;
    this.setState(this.state === "offline" ? "offline" : "connecting"); // a dead camera stays "offline"
    this.startedAt = performance.now();
    var pc = new RTCPeerConnection();
    this.pc = pc;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = function (event) {
      self.video.srcObject = event.streams[0] || new MediaStream([event.track]);
      self.video.play().catch(function () {});
    };
    pc.onconnectionstatechange = function () {
      if (generation === self.generation && (pc.connectionState === "failed" || pc.connectionState === "closed")) {
        self.retryLater();
      }
    };
    try {
      await pc.setLocalDescription(await pc.createOffer());
      await waitForIce(pc);
      var answer = await postOffer(this.cameraId, this.quality, pc.localDescription);
      if (generation !== this.generation) {
        return;
      }
      this.transcoding = !!answer.transcoding;
      await pc.setRemoteDescription({ type: answer.type, sdp: answer.sdp });
      this.offerFailures = 0;
      this.poll(generation);
    } catch (err) {
      if (generation !== this.generation) {
        return;
      }
      this.offerFailures += 1;
      console.warn("ioc-tile " + this.cameraId + ": offer failed: " + err.message);
      if (this.offerFailures >= OFFER_FAILURES_BEFORE_MJPEG) {
        this.mode = "mjpeg";
      }
      this.retryLater();
    }
  };

  Tile.prototype.poll = function (generation) {
    var self = this;
    this.pollTimer = setTimeout(async function () {
      if (generation !== self.generation || !self.pc) {
        return;
      }
      try {
        await self.readStats(self.pc);
      } catch (err) {
        /* a closing peer: the next connect starts over */
      }
      if (generation === self.generation) {
        self.judge();
        self.poll(generation);
      }
    }, POLL_MS);
  };

  Tile.prototype.readStats = async function (pc) {
    var report = await pc.getStats();
    var self = this;
    report.forEach(function (s) {
      if (s.type === "inbound-rtp" && s.kind === "video") {
        var frames = s.framesDecoded || 0;
        if (frames > self.framesDecoded) {
          self.lastFrameAt = performance.now();
        }
        self.framesDecoded = frames;
        var codec = s.codecId && report.get(s.codecId);
        if (codec) {
          self.codec = codec.mimeType;
        }
      }
    });
  };

  Tile.prototype.judge = function () {
    var now = performance.now();
    var since = this.lastFrameAt !== null && this.lastFrameAt >= this.startedAt ? this.lastFrameAt : this.startedAt;
    var quiet = (now - since) / 1000;
    if (this.lastFrameAt !== null && this.lastFrameAt >= this.startedAt && quiet < this.staleAfter) {
      this.attempt = 0;
      this.setState("live");
    } else if (quiet >= RENEGOTIATE_AFTER_S) {
      this.retryLater();
    } else if (quiet >= this.offlineAfter) {
      this.setState("offline");
    } else if (this.lastFrameAt !== null && this.lastFrameAt >= this.startedAt) {
      this.setState("stale");
    } else {
      this.render(); // still connecting: keep the age label fresh
    }
  };

  Tile.prototype.startMjpeg = function () {
    var generation = ++this.generation;
    var self = this;
    this.setState(this.state === "offline" ? "offline" : "connecting");
    var img = document.createElement("img");
    img.className = "ioc-tile-mjpeg";
    img.alt = "";
    img.onload = function () {
      if (generation === self.generation) {
        self.lastFrameAt = performance.now();
        self.attempt = 0;
        self.setState("live");
      }
    };
    img.onerror = function () {
      if (generation === self.generation) {
        self.setState("offline");
        self.retryLater();
      }
    };
    img.src = "/api/cameras/" + encodeURIComponent(this.cameraId) + "/mjpeg?quality=" + this.quality;
    this.video.hidden = true;
    this.img = img;
    this.el.insertBefore(img, this.overlay);
  };

  Tile.prototype.retryLater = function () {
    var delay = BACKOFF_S[Math.min(this.attempt, BACKOFF_S.length - 1)];
    this.attempt += 1;
    this.stop();
    this.setState("offline");
    var self = this;
    this.retryTimer = setTimeout(function () {
      self.retryTimer = null;
      self.connect();
    }, delay * 1000);
  };

  /* Close the peer (or the MJPEG request): the gateway then counts one viewer less. */
  Tile.prototype.stop = function () {
    this.generation += 1;
    clearTimeout(this.pollTimer);
    clearTimeout(this.retryTimer);
    this.pollTimer = this.retryTimer = null;
    if (this.pc) {
      this.pc.close();
      this.pc = null;
    }
    if (this.img) {
      this.img.removeAttribute("src");
      this.img.remove();
      this.img = null;
      this.video.hidden = false;
    }
    this.framesDecoded = 0;
  };

  Tile.prototype.setVisible = function (visible, inView) {
    var before = this.shouldRun();
    this.visible = visible;
    this.inView = inView;
    if (before === this.shouldRun()) {
      return;
    }
    if (this.shouldRun()) {
      this.attempt = 0;
      this.mode = window.RTCPeerConnection && this.offerFailures < OFFER_FAILURES_BEFORE_MJPEG ? "webrtc" : this.mode;
      this.connect();
    } else {
      this.stop();
      this.setState("paused");
    }
  };

  Tile.prototype.destroy = function () {
    this.stop();
    this.video.srcObject = null;
  };

  /* The registry: every tile on the page, found now and whenever Dash adds one. */
  var tiles = new Map(); // element -> Tile
  var intersection =
    "IntersectionObserver" in window
      ? new IntersectionObserver(function (entries) {
          entries.forEach(function (entry) {
            var tile = tiles.get(entry.target);
            if (tile) {
              tile.setVisible(!document.hidden, entry.isIntersecting);
            }
          });
        })
      : null;

  function attach(el) {
    if (tiles.has(el) || !el.getAttribute("data-camera-id")) {
      return;
    }
    var tile = new Tile(el);
    tile.visible = !document.hidden;
    tiles.set(el, tile);
    if (intersection) {
      intersection.observe(el);
    }
    tile.connect();
  }

  function detach(el) {
    var tile = tiles.get(el);
    if (tile) {
      tile.destroy();
      tiles.delete(el);
      if (intersection) {
        intersection.unobserve(el);
      }
    }
  }

  function restart(el) {
    detach(el);
    el.querySelectorAll(".ioc-tile-overlay, video, img.ioc-tile-mjpeg").forEach(function (child) {
      child.remove();
    });
    attach(el);
  }

  function scan(root) {
    if (root.nodeType !== 1) {
      return;
    }
    if (root.classList.contains("ioc-tile")) {
      attach(root);
    }
    root.querySelectorAll(".ioc-tile").forEach(attach);
  }

  function forget(root) {
    if (root.nodeType !== 1) {
      return;
    }
    tiles.forEach(function (_tile, el) {
      if (el === root || root.contains(el)) {
        detach(el);
      }
    });
  }

  var mutations = new MutationObserver(function (records) {
    records.forEach(function (record) {
      if (record.type === "attributes") {
        if (tiles.has(record.target)) {
          restart(record.target); // a tour or a focus changed the camera or its quality
        }
        return;
      }
      record.removedNodes.forEach(forget);
      record.addedNodes.forEach(scan);
    });
  });

  document.addEventListener("visibilitychange", function () {
    tiles.forEach(function (tile) {
      tile.setVisible(!document.hidden, tile.inView);
    });
  });
  window.addEventListener("pagehide", function () {
    tiles.forEach(function (tile) {
      tile.destroy();
    });
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      tiles.forEach(function (tile) {
        tile.connect(); // back from the back-forward cache: the peers were closed on the way out
      });
    }
  });

  function start() {
    scan(document.body);
    mutations.observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["data-camera-id", "data-quality"],
    });
  }

  function find(cameraId) {
    var found = null;
    tiles.forEach(function (tile) {
      if (!found && String(tile.cameraId) === String(cameraId)) {
        found = tile;
      }
    });
    return found;
  }

  window.iocTiles = {
    stats: function (cameraId) {
      var tile = find(cameraId);
      return tile ? tile.stats() : null;
    },
    all: function () {
      var out = [];
      tiles.forEach(function (tile) {
        out.push(tile.stats());
      });
      return out;
    },
    rescan: function () {
      scan(document.body);
    },
    text: text,
  };

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
