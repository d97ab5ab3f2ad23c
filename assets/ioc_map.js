// Styling functions for dash-leaflet GeoJSON layers, referenced as {"variable": "iocMap.<name>"}.
window.iocMap = {
  cellStyle: function (feature) {
    return {fillColor: feature.properties.color, fillOpacity: 0.55, weight: 0};
  },
  areaStyle: function (feature) {
    return {fillColor: feature.properties.color, fillOpacity: 0.35, color: "#1f3b63", weight: 1.5};
  },
  countTooltip: function (feature, layer) {
    layer.bindTooltip(String(feature.properties.count));
  },
  areaTooltip: function (feature, layer) {
    var p = feature.properties;
    var vi = (document.documentElement.lang || "vi") !== "en";
    layer.bindTooltip("<b>" + p.name + "</b><br>" + (vi ? "Phản ánh đang xử lý: " : "Open reports: ") +
      p.open + (p.population ? "<br>" + (vi ? "Trên 1.000 dân: " : "Per 1,000 residents: ") + p.per_1000 : ""));
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
