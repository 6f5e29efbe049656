// Service worker of the ward kiosks (scope /kiosk/): keeps the ward's pages
// and static files for short network outages. Pages are network-first with
// the last copy as fallback; static files and page audio cache-first. It
// never caches a POST, the chat, a chat message's audio or the reset, and a
// submission that cannot be sent gets a page saying so in the person's
// language. A kiosk reset (Clear-Site-Data: "storage") removes it and its
// cache; the next page registers it again.
var CACHE = 'kiosk-1';
self.addEventListener('install', function () { self.skipWaiting(); });
self.addEventListener('activate', function (e) { e.waitUntil(self.clients.claim()); });

function fromCache(req, fallback) {
  return caches.match(req).then(function (r) { return r || (fallback && caches.match(fallback)) || Response.error(); });
}

self.addEventListener('fetch', function (e) {
  var req = e.request, url = new URL(req.url), p = url.pathname;
  if (url.origin !== location.origin) return;
  var m = /^\/kiosk\/([a-z0-9-]+)\/([a-z]{2,3})\//.exec(p);
  var base = m ? '/kiosk/' + m[1] + '/' + m[2] : '';
  if (req.method !== 'GET') {
    if (base) e.respondWith(fetch(req).catch(function () { return fromCache(base + '/not-sent'); }));
    return;
  }
  var attract = /^\/kiosk\/[a-z0-9-]+$/.test(p) ? p : '';
  var reset = /^(\/kiosk\/[a-z0-9-]+)\/reset$/.exec(p);
  if (reset) { // offline, still leave the person's pages: show the last start screen
    e.respondWith(fetch(req).catch(function () { return fromCache(reset[1]); }));
    return;
  }
  if (/\/chat(\/|$)/.test(p) || /^\/speech\/p/.test(p)) return;
  if (/^\/(static|speech)\//.test(p)) {
    e.respondWith(caches.match(req).then(function (r) {
      return r || fetch(req).then(function (res) {
        if (res.ok) { var c = res.clone(); caches.open(CACHE).then(function (k) { k.put(req, c); }); }
        return res;
      });
    }));
  } else if (req.mode === 'navigate' && (base || attract)) {
    e.respondWith(fetch(req).then(function (res) {
      if (res.ok) {
        var c = res.clone();
        caches.open(CACHE).then(function (k) {
          k.put(req, c);
          if (base) k.match(base + '/offline').then(function (have) { if (!have) k.addAll([base + '/offline', base + '/not-sent']).catch(function () {}); });
        });
      }
      return res;
    }).catch(function () { return fromCache(req, base && base + '/offline'); }));
  }
});
