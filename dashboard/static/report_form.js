/* The public report form: map picking, the phone's location, a character counter, upload progress.
   Without JavaScript the form still posts normally; this only makes it nicer. */
(function () {
  "use strict";
  var form = document.getElementById("rf-form");
  if (!form) { return; }
  document.body.classList.add("rf-js");
  var texts = JSON.parse(document.getElementById("rf-texts").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var maxChars = parseInt(form.dataset.maxChars, 10);
  var maxBytes = parseInt(form.dataset.maxBytes, 10);

  function showError(field, message) {
    var box = $("rf-err-" + field);
    var input = { description: "rf-description", category: "rf-category", address: "rf-address",
                  name: "rf-name", phone: "rf-phone", media: "rf-media" }[field];
    if (field === "form" || !box) {
      $("rf-message").textContent = message;
      $("rf-message").classList.remove("d-none");
      $("rf-message").scrollIntoView({ block: "center" });
      return;
    }
    $("rf-message").textContent = texts.fix;
    $("rf-message").classList.remove("d-none");
    box.textContent = message;
    box.classList.add("rf-error-shown");
    if (input) { $(input).classList.add("is-invalid"); }
    if (field === "place") { $("rf-map").classList.add("rf-invalid"); }
    (input ? $(input) : box).scrollIntoView({ block: "center" });
  }

  function clearErrors() {
    $("rf-message").classList.add("d-none");
    form.querySelectorAll(".rf-error").forEach(function (box) {
      box.textContent = ""; box.classList.remove("rf-error-shown");
    });
    form.querySelectorAll(".is-invalid").forEach(function (el) { el.classList.remove("is-invalid"); });
    $("rf-map").classList.remove("rf-invalid");
  }

  // --- the description's counter ---
  var description = $("rf-description");
  function count() {
    var n = description.value.length;
    $("rf-count").textContent = n;
    $("rf-counter").classList.toggle("rf-over", n > maxChars);
  }
  description.addEventListener("input", count);
  count();

  // --- the map ---
  var mapBox = $("rf-map");
  var marker = null;
  var map = L.map(mapBox).setView([parseFloat(mapBox.dataset.lat), parseFloat(mapBox.dataset.lon)],
                                   parseInt(mapBox.dataset.zoom, 10));
  L.tileLayer(mapBox.dataset.tiles, { attribution: mapBox.dataset.attribution, maxZoom: 19 }).addTo(map);

  function setPoint(lat, lon) {
    $("rf-lat").value = lat.toFixed(6);
    $("rf-lon").value = lon.toFixed(6);
    if (marker) { marker.setLatLng([lat, lon]); }
    else {
      marker = L.marker([lat, lon], { draggable: true }).addTo(map);
      marker.on("dragend", function () { var p = marker.getLatLng(); setPoint(p.lat, p.lng); });
    }
    $("rf-place-status").textContent = texts.picked + ": " + lat.toFixed(5) + ", " + lon.toFixed(5);
    $("rf-err-place").classList.remove("rf-error-shown");
    mapBox.classList.remove("rf-invalid");
  }
  map.on("click", function (e) { setPoint(e.latlng.lat, e.latlng.lng); });
  if ($("rf-lat").value && $("rf-lon").value) {
    var lat0 = parseFloat($("rf-lat").value), lon0 = parseFloat($("rf-lon").value);
    if (isFinite(lat0) && isFinite(lon0)) { setPoint(lat0, lon0); map.setView([lat0, lon0], 16); }
  }

  $("rf-locate").addEventListener("click", function () {
    if (!navigator.geolocation) { showError("place", texts.locate_failed); return; }
    $("rf-place-status").textContent = texts.locating;
    navigator.geolocation.getCurrentPosition(function (pos) {
      setPoint(pos.coords.latitude, pos.coords.longitude);
      map.setView([pos.coords.latitude, pos.coords.longitude], 17);
    }, function () { $("rf-place-status").textContent = ""; showError("place", texts.locate_failed); },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  });

  // --- files ---
  function chosenFiles() {
    var files = [];
    form.querySelectorAll('input[type="file"]').forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
    });
    return files;
  }
  function listFiles() {
    var list = $("rf-file-list");
    list.textContent = "";
    chosenFiles().forEach(function (f) {
      var li = document.createElement("li");
      li.textContent = f.name + " (" + (f.size / 1048576).toFixed(1) + " MB)";
      list.appendChild(li);
    });
  }
  form.querySelectorAll('input[type="file"]').forEach(function (input) {
    input.addEventListener("change", listFiles);
  });

  // --- sending ---
  function done(answer) {
    var card = document.createElement("section");
    card.className = "rf-card rf-done";
    card.id = "rf-done";
    card.setAttribute("role", "status");
    var parts = [["h1", "h4", texts.done_title], ["p", "mb-1", texts.done_code],
                 ["p", "rf-code", answer.tracking_code], ["p", "text-secondary", texts.done_keep]];
    parts.forEach(function (p) {
      var el = document.createElement(p[0]); el.className = p[1]; el.textContent = p[2];
      if (p[1] === "rf-code") { el.id = "rf-code"; }
      card.appendChild(el);
    });
    var follow = document.createElement("a");
    follow.className = "btn btn-primary btn-lg w-100 mb-2"; follow.id = "rf-follow";
    follow.href = answer.follow_url; follow.textContent = texts.done_follow;
    var again = document.createElement("a");
    again.className = "btn btn-outline-secondary w-100"; again.href = "/phan-anh"; again.textContent = texts.done_again;
    card.appendChild(follow); card.appendChild(again);
    form.replaceWith(card);
    window.scrollTo(0, 0);
  }

  var sending = false;
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (sending) { return; }  // a double tap sends once (and the token makes a resend harmless)
    clearErrors();
    var total = chosenFiles().reduce(function (sum, f) { return sum + f.size; }, 0);
    if (total > maxBytes) { showError("media", texts.too_large); return; }
    sending = true;
    var button = $("rf-submit");
    button.disabled = true;
    button.textContent = texts.sending;
    $("rf-progress").classList.remove("d-none");
    // XMLHttpRequest rather than fetch(): only it reports upload progress.
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { $("rf-progress-bar").style.width = Math.round(100 * e.loaded / e.total) + "%"; }
    };
    function finish() {
      sending = false; button.disabled = false; button.textContent = texts.submit;
      $("rf-progress").classList.add("d-none"); $("rf-progress-bar").style.width = "0%";
    }
    xhr.onload = function () {
      finish();
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (!answer) { showError("form", texts.network); return; }
      if (answer.ok) { done(answer); return; }
      if (answer.token) { $("rf-token").value = answer.token; }
      showError(answer.field || "form", answer.error);
    };
    xhr.onerror = function () { finish(); showError("form", texts.network); };
    xhr.send(new FormData(form));
  });
})();
