// Live staff queue: when the server says a referral changed (the event carries only
// its id), fetch this page's queue table again and swap it in. Without JavaScript the
// page's Refresh link does the same by hand.
(function () {
  "use strict";
  var box = document.getElementById("queue");
  if (!box || !window.EventSource || !window.fetch) {
    return;
  }
  var fragment = box.getAttribute("data-fragment");
  // Announce an update in one short sentence, not by re-reading the whole table.
  var status = document.getElementById("queue-status");
  var last = null; // the table as last fetched: the first fetch only sets it
  var busy = false;
  var again = false;

  function refresh() {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    fetch(fragment, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) {
        // A redirect means the session ended: leave the table as it is.
        return res.ok && !res.redirected ? res.text() : null;
      })
      .then(function (html) {
        // Keep focus where it is if the person is inside the table.
        if (html === null || html === last || box.contains(document.activeElement)) {
          return;
        }
        var first = last === null;
        last = html;
        box.innerHTML = html;
        if (!first && status) {
          status.textContent = status.getAttribute("data-updated");
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  // The server closes each stream after a few seconds and the browser reconnects;
  // every (re)connect begins with a "requery" event, so nothing missed in between
  // is lost.
  var events = new EventSource("/staff/queue/events");
  events.addEventListener("requery", refresh);
  events.addEventListener("changed", refresh);
})();
