// Read aloud, text and colour options and, on ward kiosks, the idle reset.
// Nothing goes to storage or cookies: the options live in window.name (this
// tab's memory, never on disk), which a kiosk reset empties.
(function () {
  'use strict';
  var d = document, html = d.documentElement, body = d.body;
  var $ = function (s) { return d.querySelector(s); };
  var all = function (s) { return Array.prototype.slice.call(d.querySelectorAll(s)); };
  all('.js-only').forEach(function (e) { e.hidden = false; });
  var ward = body.getAttribute('data-ward'), attract = !!$('.attract');
  if (attract) window.name = ''; // a new person: default text, colours, volume

  // Options: zoom step, contrast, font, volume (0-10), speech on.
  var zooms = [100, 125, 150, 175, 200], o = { z: 0, c: 0, f: 0, v: 8, s: 0 };
  var m = /^imha:(\d),(\d),(\d),(\d+),(\d)$/.exec(window.name);
  if (m) o = { z: +m[1], c: +m[2], f: +m[3], v: +m[4], s: +m[5] };
  var audio = new Audio(), queue = [], box = $('.speech');
  function apply() {
    o.z = Math.max(0, Math.min(4, o.z)); o.v = Math.max(1, Math.min(10, o.v));
    zooms.forEach(function (z, i) { html.classList.toggle('zoom-' + z, i === o.z && i > 0); });
    html.classList.toggle('contrast', !!o.c);
    html.classList.toggle('easy-font', !!o.f);
    all('[data-display=contrast]').forEach(function (b) { b.setAttribute('aria-pressed', String(!!o.c)); });
    all('[data-display=font]').forEach(function (b) { b.setAttribute('aria-pressed', String(!!o.f)); });
    audio.volume = o.v / 10;
    window.name = 'imha:' + [o.z, o.c, o.f, o.v, o.s].join(',');
  }

  // Speech: the server's audio; where the language has no voice, the
  // English note, then the browser's own voice for the language if it has one.
  function next() {
    var src = queue.shift();
    if (!src) return;
    if (src === 'tts') return browserVoice();
    audio.src = src;
    audio.play().catch(function () {});
  }
  audio.onended = next;
  function browserVoice() {
    var s = window.speechSynthesis, lang = box && box.getAttribute('data-lang');
    if (!s) return;
    var v = s.getVoices().filter(function (x) { return x.lang.toLowerCase().indexOf(lang) === 0; })[0];
    if (!v) return;
    var u = new SpeechSynthesisUtterance(($('main') || body).innerText);
    u.voice = v; u.lang = v.lang; u.volume = o.v / 10;
    s.speak(u);
  }
  function readPage() {
    audio.pause(); queue = [];
    if (window.speechSynthesis) speechSynthesis.cancel();
    if (!box) return;
    var note = box.getAttribute('data-note'), src = box.getAttribute('data-audio');
    if (note) queue.push(note);
    queue = queue.concat(src ? src.split(' ') : ['tts']);
    next();
  }
  function say(src) { // a chat message, when the person has turned speech on
    if (!o.s) return;
    queue.push(src);
    if (audio.paused) next();
  }
  d.addEventListener('imha:say', function (e) { say(e.detail); });

  d.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-display],[data-speech],[data-kiosk]');
    if (!b) return;
    var a = b.getAttribute('data-display'), s = b.getAttribute('data-speech'), k = b.getAttribute('data-kiosk');
    if (a === 'bigger') o.z++;
    else if (a === 'smaller') o.z--;
    else if (a === 'contrast') o.c = 1 - o.c;
    else if (a === 'font') o.f = 1 - o.f;
    else if (a === 'reset') { o.z = o.c = o.f = 0; }
    if (s === 'play') {
      o.s = 1;
      if (audio.paused && audio.currentTime > 0 && !audio.ended) audio.play().catch(function () {});
      else if (window.speechSynthesis && speechSynthesis.paused) speechSynthesis.resume();
      else readPage();
    } else if (s === 'pause') {
      audio.pause();
      if (window.speechSynthesis) speechSynthesis.pause();
    } else if (s === 'repeat') { o.s = 1; readPage(); }
    else if (s === 'louder') o.v++;
    else if (s === 'quieter') o.v--;
    if (k === 'finish') reset();
    else if (k === 'stay') stay();
    apply();
  });
  apply();
  if (o.s && box && !attract) readPage(); // speech stays on from page to page

  // Quick exit (phones): end any chat, replace this page in history.
  var exit = $('#quick-exit');
  if (exit) exit.addEventListener('click', function (ev) {
    ev.preventDefault();
    d.dispatchEvent(new CustomEvent('imha:end'));
    window.name = '';
    location.replace(exit.href);
  });

  if (!ward) return;
  // --- Ward kiosk -----------------------------------------------------------
  // Back must never show the last person's pages: pages are no-store, and
  // the attract screen swallows Back; a page restored from the back/forward
  // cache is fetched again.
  window.addEventListener('pageshow', function (e) { if (e.persisted) location.reload(); });
  if (attract) {
    history.pushState(null, '', location.href);
    window.addEventListener('popstate', function () { history.pushState(null, '', location.href); });
  }
  if ('serviceWorker' in navigator) navigator.serviceWorker.register('/kiosk/sw.js', { scope: '/kiosk/' }).catch(function () {});
  var dlg = $('#idle'), idle = (+body.getAttribute('data-idle') || 120) * 1000, last = Date.now(), left = 0;
  // Any touch or key is the person still being there: during the countdown
  // it cancels the reset, as "Carry on" does.
  function touched() { if (left) stay(); else last = Date.now(); }
  ['pointerdown', 'keydown', 'wheel', 'touchstart'].forEach(function (t) { d.addEventListener(t, touched, { capture: true, passive: true }); });
  function stay() { left = 0; dlg.hidden = true; last = Date.now(); audio.pause(); queue = []; }
  function reset() {
    d.dispatchEvent(new CustomEvent('imha:end')); // chat.js ends its session on the server
    audio.pause(); queue = [];
    if (window.speechSynthesis) speechSynthesis.cancel();
    window.name = '';
    location.replace('/kiosk/' + ward + '/reset');
  }
  if (!dlg) return;
  setInterval(function () {
    if (left) {
      $('#idle-count').textContent = --left;
      if (!left) reset();
    } else if (Date.now() - last > idle) {
      left = 30;
      $('#idle-count').textContent = left;
      dlg.hidden = false;
      dlg.querySelector('button').focus();
      audio.pause(); queue = [];
      if (dlg.getAttribute('data-src')) { queue.push(dlg.getAttribute('data-src')); next(); }
    }
  }, 1000);
})();
