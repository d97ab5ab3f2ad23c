/*
 * The video wall (/cameras): grid layouts, tour pages (within a group or group by group), focus,
 * full screen and kiosk mode.
 *
 * Clientside callbacks live in window.dash_clientside.iocWall (see dashboard/pages/cameras.py).
 * The grid only holds the tiles of the current page: tiles that leave it leave the DOM, and
 * assets/camera_tile.js closes their peers. A tile whose camera or quality changes in place is
 * restarted by camera_tile.js's MutationObserver (data-camera-id / data-quality).
 * Kiosk mode (?kiosk=1, ?reload=<minutes>, default 360, 0 = never) is applied here at load, before
 * Dash renders, so the navbar never flashes; the URL is its only source.
 * Plain JS, no build step.
 */
(function () {
  "use strict";

  var PER_PAGE = { "1": 1, "2x2": 4, "3x3": 9, "4x4": 16, "1p5": 6 };
  var SIDE = { "1": 1, "2x2": 2, "3x3": 3, "4x4": 4, "1p5": 3 };
  var WALL_PATH = "/cameras";
  var DEFAULT_RELOAD_MIN = 360;
  var ROTATE = "*"; // the group choice "each group in turn"

  function h(type, props, children) {
    var all = Object.assign({}, props || {});
    if (children !== undefined) {
      all.children = children;
    }
    return { type: type, namespace: "dash_html_components", props: all };
  }

  /* The cameras of the group, an alert's camera first (it outranks the group filter). */
  function ordered(list, group, pinned) {
    var cameras = (list || []).filter(function (c) {
      return !group || c.group === group;
    });
    if (pinned === null || pinned === undefined) {
      return cameras;
    }
    var first = (list || []).filter(function (c) {
      return String(c.id) === String(pinned);
    });
    return first.concat(
      cameras.filter(function (c) {
        return String(c.id) !== String(pinned);
      })
    );
  }

  function perPage(layout) {
    return PER_PAGE[layout] || 4;
  }

  /*
   * The wall's pages: a list of { cameras, group }. One group (or all cameras) is cut into pages;
   * ROTATE ("*": each group in turn) gives every group its own pages, in name order, so a tour
   * walks the city theme by theme and a page never mixes two groups. An alert's camera (pinned)
   * leads the first page whatever the group.
   */
  function pagesOf(list, group, pinned, layout) {
    var per = perPage(layout);
    var pages = [];
    function cut(cameras, name) {
      for (var i = 0; i < cameras.length; i += per) {
        pages.push({ cameras: cameras.slice(i, i + per), group: name });
      }
    }
    var hasPin = pinned !== null && pinned !== undefined;
    if (group === ROTATE && !hasPin) {
      var names = [];
      (list || []).forEach(function (c) {
        var name = c.group || "";
        if (names.indexOf(name) < 0) {
          names.push(name);
        }
      });
      names.sort(function (a, b) {
        return (a === "") - (b === "") || a.localeCompare(b, "vi");
      });
      names.forEach(function (name) {
        cut((list || []).filter(function (c) { return (c.group || "") === name; }), name);
      });
    } else {
      cut(ordered(list, group === ROTATE ? "" : group, pinned), null);
    }
    return pages.length ? pages : [{ cameras: [], group: null }];
  }

  function cell(camera, quality, big) {
    return h("Div", { className: "ioc-wall-cell" + (big ? " ioc-wall-big" : ""), "data-cell-camera": String(camera.id),
      "data-name": camera.name, title: camera.name }, [
      h("Div", { className: "ioc-tile", "data-camera-id": String(camera.id), "data-quality": quality }),
      h("Div", { className: "ioc-tile-caption" }, [h("Span", { className: "ioc-tile-name" }, camera.name)]),
    ]);
  }

  function render(layout, group, page, pinned, list, options) {
    var pages = pagesOf(list, group, pinned, layout);
    var index = (((page || 0) % pages.length) + pages.length) % pages.length;
    var current = pages[index];
    var side = SIDE[layout] || 2;
    var cells = current.cameras.map(function (camera, i) {
      var big = layout === "1p5" && i === 0;
      return cell(camera, layout === "1" || big ? "main" : "sub", big); // large tiles take the main stream
    });
    var wall = h("Div", { className: "ioc-wall", "data-layout": layout, "data-page": String(index + 1),
      "data-group": current.group === null ? "" : current.group,
      style: { gridTemplateColumns: "repeat(" + side + ", 1fr)", gridTemplateRows: "repeat(" + side + ", 1fr)" } }, cells);
    var texts = (options && options.texts) || {};
    var label = (texts.page || "{page}/{pages}")
      .replace("{page}", String(index + 1)).replace("{pages}", String(pages.length));
    if (current.group !== null) {
      label = (current.group || texts.ungrouped || "–") + " · " + label;
    }
    return [wall, label];
  }

  function triggered(id) {
    var ctx = window.dash_clientside.callback_context;
    return (ctx.triggered || []).some(function (t) {
      return t.prop_id.indexOf(id + ".") === 0;
    });
  }

  function turnPage(_ticks, _prev, _next, layout, group, pinned, page, list) {
    if (triggered("cameras-layout") || triggered("cameras-group") || triggered("cameras-pinned")) {
      return 0;
    }
    var pages = pagesOf(list, group, pinned, layout).length;
    var step = triggered("cameras-prev") ? -1 : 1;
    return ((((page || 0) + step) % pages) + pages) % pages;
  }

  function tourTimer(tour) {
    var seconds = parseInt(tour, 10) || 0;
    return [seconds <= 0, (seconds || 30) * 1000];
  }

  /*
   * The wall's state into the address bar, so the screen can be bookmarked. history.replaceState,
   * not a dcc.Location: Dash Pages re-runs the page layout whenever a Location's search changes,
   * which would rebuild the wall (and reconnect every tile) on each dropdown change.
   */
  function keepInUrl(layout, group, tour, pop) {
    var params = new URLSearchParams(window.location.search);
    var wanted = { layout: layout, group: group || null, tour: tour && tour !== "0" ? tour : null, pop: pop ? "1" : null };
    Object.keys(wanted).forEach(function (key) {
      if (wanted[key] === null) {
        params.delete(key);
      } else {
        params.set(key, wanted[key]);
      }
    });
    var parts = [];
    params.forEach(function (value, key) {
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(value));
    });
    var search = parts.length ? "?" + parts.join("&") : "";
    if (window.location.pathname === WALL_PATH && search !== window.location.search) {
      window.history.replaceState(window.history.state, "", WALL_PATH + search + window.location.hash);
    }
    return search;
  }

  /* --- focus: one camera large, on its main stream --------------------------------------- */

  function setFocused(value) {
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props("cameras-focused", { data: value });
    }
  }

  function showFocus(focused, options) {
    if (!focused) {
      return null;
    }
    var close = (options && options.texts && options.texts.close) || "×";
    return h("Div", { className: "ioc-focus", role: "dialog", "aria-modal": "true", "aria-label": focused.name }, [
      h("Div", { className: "ioc-tile ioc-focus-tile", "data-camera-id": String(focused.id), "data-quality": "main" }),
      h("Div", { className: "ioc-focus-bar" }, [
        h("Span", { className: "ioc-focus-name" }, focused.name),
        h("Button", { className: "btn-close btn-close-white ioc-focus-close", "aria-label": close, title: close }),
      ]),
    ]);
  }

  function pop(event, list) {
    var none = window.dash_clientside.no_update;
    if (!event) {
      return [none, none, none];
    }
    var camera = (list || []).filter(function (c) {
      return String(c.id) === String(event.cameraId);
    })[0];
    var name = camera ? camera.name : String(event.cameraId);
    return [event.cameraId, { id: String(event.cameraId), name: name }, event.message.replace("{camera}", name)];
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) {
      return;
    }
    if (target.closest(".ioc-focus-close") || target.classList.contains("ioc-focus")) {
      setFocused(null);
      return;
    }
    if (target.closest("#cameras-fullscreen")) {
      toggleFullscreen();
      return;
    }
    var found = target.closest("#cameras-wall .ioc-wall-cell");
    if (found) {
      setFocused({ id: found.getAttribute("data-cell-camera"), name: found.getAttribute("data-name") });
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && document.querySelector("#cameras-focus .ioc-focus")) {
      setFocused(null);
    }
  });

  function toggleFullscreen() {
    var box = document.getElementById("cameras-box");
    if (document.fullscreenElement) {
      document.exitFullscreen().catch(function () {});
    } else if (box && box.requestFullscreen) {
      box.requestFullscreen().catch(function (err) {
        console.warn("ioc-wall: full screen refused: " + err.message);
      });
    }
  }

  /* --- kiosk: no navbar, dark, fills the screen, reloads itself now and then -------------- */

  var kiosk = { themed: false, dueAt: null, timer: null };

  function kioskParams() {
    var params = new URLSearchParams(window.location.search);
    var on = window.location.pathname === WALL_PATH && params.get("kiosk") === "1";
    var minutes = parseFloat(params.get("reload"));
    return { on: on, reloadMinutes: isNaN(minutes) ? DEFAULT_RELOAD_MIN : minutes };
  }

  function maybeReload() {
    // Only a page someone can see reloads: a hidden one would pay the reconnect for nothing.
    if (kiosk.dueAt !== null && Date.now() >= kiosk.dueAt && document.visibilityState === "visible" && kioskParams().on) {
      window.location.reload();
    }
  }

  function scheduleReload(minutes) {
    if (kiosk.timer !== null || !(minutes > 0)) {
      return;
    }
    kiosk.dueAt = Date.now() + minutes * 60000;
    kiosk.timer = setInterval(maybeReload, Math.min(30000, Math.max(1000, (minutes * 60000) / 4)));
  }

  function applyKiosk() {
    var wanted = kioskParams();
    var root = document.documentElement;
    root.classList.toggle("ioc-kiosk", wanted.on);
    if (wanted.on && root.getAttribute("data-bs-theme") !== "dark") {
      root.setAttribute("data-bs-theme", "dark");
      kiosk.themed = true;
    } else if (!wanted.on && kiosk.themed) {
      root.removeAttribute("data-bs-theme");
      kiosk.themed = false;
    }
    if (wanted.on) {
      scheduleReload(wanted.reloadMinutes);
    }
    return wanted.on;
  }

  document.addEventListener("visibilitychange", maybeReload);
  window.addEventListener("popstate", applyKiosk);
  window.addEventListener("_dashprivate_pushstate", applyKiosk);
  applyKiosk();

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.iocWall = {
    render: render,
    turnPage: turnPage,
    tourTimer: tourTimer,
    keepInUrl: keepInUrl,
    kiosk: applyKiosk,
    showFocus: showFocus,
    pop: pop,
  };
  window.iocWall = { focus: setFocused, applyKiosk: applyKiosk, ordered: ordered, pagesOf: pagesOf };
})();
