/* Ghișeu portal progressive enhancement: a map pin on the form, the public map, live tracking updates.
   Every page works without this file; it only adds to what the server rendered. */
(function () {
  'use strict';

  function center(el) {
    var p = (el.getAttribute('data-center') || '46.1866,21.3123,13').split(',').map(Number);
    return { lat: p[0], lng: p[1], zoom: p[2] };
  }

  function baseMap(el) {
    if (!window.L) return null; // Leaflet did not load: the address field stays the way to give a place.
    el.hidden = false;
    var c = center(el);
    var map = window.L.map(el, { keyboard: true }).setView([c.lat, c.lng], c.zoom);
    window.L.tileLayer(el.getAttribute('data-tile-url'), { maxZoom: 19, attribution: '&copy; OpenStreetMap' }).addTo(map);
    return map;
  }

  function formMap() {
    var el = document.getElementById('map');
    if (!el) return;
    var map = baseMap(el);
    if (!map) return;
    var lat = document.getElementById('lat');
    var lng = document.getElementById('lng');
    var status = document.getElementById('map-status');
    var marker = null;
    function place(ll) {
      if (marker) marker.setLatLng(ll);
      else marker = window.L.marker(ll, { keyboard: true }).addTo(map);
      lat.value = ll.lat.toFixed(6);
      lng.value = ll.lng.toFixed(6);
      status.textContent = (el.getAttribute('data-pinned-text') || '').replace('{lat}', lat.value).replace('{lng}', lng.value);
    }
    if (lat.value && lng.value) place(window.L.latLng(Number(lat.value), Number(lng.value)));
    map.on('click', function (e) { place(e.latlng); });
    // Keyboard users: Enter or space on the focused map drops the pin at its centre.
    el.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); place(map.getCenter()); }
    });
  }

  function publicMap() {
    var el = document.getElementById('public-map');
    var data = document.getElementById('map-points');
    if (!el || !data) return;
    var map = baseMap(el);
    if (!map) return;
    var points = JSON.parse(data.textContent || '[]');
    points.forEach(function (p) {
      // Text nodes, never HTML strings: Leaflet would put a string popup through innerHTML.
      var label = document.createElement('span');
      label.textContent = p.id + ' · ' + p.category + ' · ' + p.status;
      window.L.circleMarker([p.lat, p.lng], { radius: 7, color: p.status === 'open' ? '#a4000f' : '#0d5c2e' })
        .bindPopup(label)
        .addTo(map);
    });
  }

  // Live updates: poll the case's JSON (read from the database, so any server process answers the same)
  // and swap in the server-rendered part when its version changes.
  function liveTracking() {
    var region = document.getElementById('live-region');
    if (!region || !window.fetch) return;
    var url = region.getAttribute('data-poll');
    var note = document.querySelector('.js-only');
    if (note) note.hidden = false;
    var delay = 4000;
    function current() {
      var live = document.getElementById('case-live');
      return live ? live.getAttribute('data-version') : '';
    }
    function poll() {
      if (document.hidden) { setTimeout(poll, delay); return; }
      fetch(url, { headers: { Accept: 'application/json' }, cache: 'no-store' })
        .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
        .then(function (data) {
          delay = 4000;
          if (data.version !== current()) {
            var busy = region.contains(document.activeElement) && document.activeElement !== document.body;
            if (!busy) region.innerHTML = data.html;
          }
          setTimeout(poll, delay);
        })
        .catch(function () { delay = Math.min(delay * 2, 60000); setTimeout(poll, delay); });
    }
    setTimeout(poll, delay);
  }

  function focusErrors() {
    var summary = document.getElementById('error-summary');
    if (summary) summary.focus();
  }

  document.addEventListener('DOMContentLoaded', function () {
    formMap();
    publicMap();
    liveTracking();
    focusErrors();
  });
})();
