// Voxide console: live dashboard updates, transcript seeking, confirms.
// Loaded with `defer`; no inline script anywhere (the pages' CSP forbids it).
(function () {
  "use strict";

  // Dashboard: the switch's events tell when to fetch the live fragment.
  var live = document.getElementById("live");
  var status = document.getElementById("live-status");
  if (live) {
    var queued = false;
    var refresh = function () {
      if (queued) return;
      queued = true;
      setTimeout(function () {
        fetch(live.dataset.src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) { queued = false; if (html !== null) live.innerHTML = html; })
          .catch(function () { queued = false; });
      }, 100);
    };
    if (window.EventSource) {
      var events = new EventSource(live.dataset.events);
      events.onopen = function () { if (status) status.textContent = "Live updates: on"; };
      events.onerror = function () { if (status) status.textContent = "Live updates: reconnecting…"; };
      events.onmessage = function (e) {
        try {
          var ev = JSON.parse(e.data);
          if (status) status.textContent = "Live updates: on · last event " + ev.kind + " at " + ev.at;
        } catch (err) { /* not JSON: refresh anyway */ }
        refresh();
      };
    }
    // In case an event is missed (or EventSource is missing).
    setInterval(refresh, 15000);
  }

  // Transcript: a segment's time seeks the recording; the one playing is marked.
  document.querySelectorAll("[data-seek]").forEach(function (button) {
    button.addEventListener("click", function () {
      var player = document.getElementById(button.dataset.player);
      if (!player) return;
      player.currentTime = parseFloat(button.dataset.seek) || 0;
      player.play();
    });
  });
  var recording = document.getElementById("recording");
  var segments = document.querySelectorAll("#transcript li");
  if (recording && segments.length) {
    recording.addEventListener("timeupdate", function () {
      var t = recording.currentTime;
      segments.forEach(function (li) {
        var on = t >= parseFloat(li.dataset.start) && t <= parseFloat(li.dataset.end) + 0.25;
        li.classList.toggle("current", on);
      });
    });
  }

  // Forms that destroy something ask first.
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    });
  });

  // Whole table rows open their link.
  document.querySelectorAll("tr[data-href]").forEach(function (row) {
    row.addEventListener("click", function (e) {
      if (e.target.closest("a, button, input, select")) return;
      window.location.href = row.dataset.href;
    });
  });
})();
