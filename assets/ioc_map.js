// Styling functions for dash-leaflet GeoJSON layers, referenced as {"variable": "iocMap.<name>"}.
window.iocMap = {
  cellStyle: function (feature) {
    // The class names let a test (or CSS) tell density cells and ward shapes from other paths.
    return {fillColor: feature.properties.color, fillOpacity: 0.55, weight: 0, className: "ioc-map-cell"};
  },
  areaStyle: function (feature) {
    return {fillColor: feature.properties.color, fillOpacity: 0.45, color: "#1f3b63", weight: 1.5,
      className: "ioc-map-area"};
  },
  countTooltip: function (feature, layer) {
    layer.bindTooltip(String(feature.properties.count));
  },
  // A ward's figures on hover; the one the map is shaded by in bold (layers/boundaries.py MEASURES).
  areaTooltip: function (feature, layer) {
    var p = feature.properties;
    var vi = (document.documentElement.lang || "vi") !== "en";
    var esc = function (s) {
      return String(s).replace(/[&<>"']/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
      });
    };
    var num = function (v, unit) {
      return v === null || v === undefined ? "—" : (vi ? String(v).replace(".", ",") : String(v)) + (unit || "");
    };
    var rows = [
      ["reports", vi ? "Phản ánh" : "Reports", num(p.reports)],
      ["open", vi ? "Đang xử lý" : "Open", num(p.open)],
      ["per_1000", vi ? "Trên 1.000 dân" : "Per 1,000 residents", num(p.per_1000)],
      ["overdue_pct", vi ? "Quá hạn" : "Overdue", num(p.overdue_pct, " %")],
      ["satisfaction", vi ? "Hài lòng" : "Satisfaction", num(p.satisfaction, " ★")]
    ];
    var html = "<b>" + esc(p.name) + "</b>";
    rows.forEach(function (r) {
      var line = r[1] + ": " + r[2];
      html += "<br>" + (r[0] === p.shade ? "<b>" + line + "</b>" : line);
    });
    layer.bindTooltip(html, {sticky: true, className: "ioc-map-area-tooltip"});
  },
  areaHover: function () {
    return {weight: 3, color: "#0b1f3a", fillOpacity: 0.55};
  },
  nameTooltip: function (feature, layer) {
    layer.bindTooltip(feature.properties.name);
  },
  // A camera point: its name on hover, its live tile on click (assets/camera_tile.js plays any
  // .ioc-tile added to the page, and closes its peer when the popup closes and the tile leaves).
  cameraPopup: function (feature, layer) {
    var p = feature.properties;
    var name = String(p.name).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
    layer.bindTooltip(name);
    layer.bindPopup(function () {
      return '<div class="ioc-tile" data-camera-id="' + Number(p.id) + '" data-quality="sub" ' +
        'style="width:320px;height:180px"></div><div class="ioc-map-camera-name"><b>' + name + "</b></div>";
    }, {minWidth: 320, maxWidth: 340, className: "ioc-map-camera-popup"});
  },
  cameraPoint: function (feature, latlng) {
    return L.circleMarker(latlng, {radius: 7, color: "#fff", weight: 2,
      fillColor: feature.properties.color, fillOpacity: 0.95});
  },
  // An open alert: a marker that pulses (assets/ioc.css), red for critical, orange for warning.
  alertPoint: function (feature, latlng) {
    var severity = String(feature.properties.severity).replace(/[^a-z]/g, "");
    return L.marker(latlng, {icon: L.divIcon({className: "ioc-alert-marker ioc-alert-" + severity,
      iconSize: [18, 18]}), keyboard: false, zIndexOffset: 1000});
  },
  alertTooltip: function (feature, layer) {
    var title = String(feature.properties.title).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
    layer.bindTooltip(title);
  },
  // A sensor: its colour says the band (AQI) or the flood alarm level; its reading on hover.
  sensorPoint: function (feature, latlng) {
    return L.circleMarker(latlng, {radius: 9, color: "#212529", weight: 1.5,
      fillColor: feature.properties.color, fillOpacity: 0.95});
  },
  sensorTooltip: function (feature, layer) {
    var p = feature.properties;
    var esc = function (s) {
      return String(s).replace(/[&<>"']/g, function (c) {
        return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
      });
    };
    layer.bindTooltip("<b>" + esc(p.name) + "</b><br>" + esc(p.value));
  },
  poiPoint: function (feature, latlng) {
    return L.circleMarker(latlng, {radius: 5, color: feature.properties.color, weight: 1,
      fillColor: feature.properties.color, fillOpacity: 0.8});
  }
};
