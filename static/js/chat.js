// Guided chat over a websocket, enhancing the plain HTML form (which works
// without this script). The session token lives only in this closure: never
// in storage, cookies or the URL, so a closed tab or kiosk reset ends it.
(function () {
  'use strict';
  var root = document.getElementById('chat');
  var form = document.getElementById('chat-form');
  if (!root || !form || !('WebSocket' in window)) return;
  var log = document.getElementById('chat-log');
  var lang = root.getAttribute('data-lang');
  var variant = root.getAttribute('data-variant');
  var ended = false, token = '', node = form.elements.node.value, seq = 0, ws = null, live = false, fresh = true, retry = 0;
  var text = function (key) { return root.getAttribute('data-' + key) || ''; };

  function el(tag, cls, txt) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt != null) e.textContent = txt;
    return e;
  }

  function connect() {
    var proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(proto + '//' + location.host + root.getAttribute('data-ws') + (variant === 'easy-read' ? '?variant=easy-read' : ''));
    ws.onopen = function () {
      live = true; retry = 0;
      status('');
      if (token) send({ type: 'resume', value: token });
      else send({ type: 'start', flow: form.elements.flow.value || 'menu' });
    };
    ws.onmessage = function (ev) { receive(JSON.parse(ev.data)); };
    ws.onclose = function () {
      live = false;
      if (ended) return;
      if (retry > 6) { status(text('offline')); return; }
      status(text('reconnecting'));
      setTimeout(connect, Math.min(8000, 500 * Math.pow(2, retry++)));
    };
  }

  function send(f) {
    f.seq = ++seq;
    ws.send(JSON.stringify(f));
  }

  function status(msg) {
    var s = document.getElementById('chat-status');
    if (!s) { s = el('p', 'chat-status'); s.id = 'chat-status'; s.setAttribute('role', 'status'); root.insertBefore(s, form); }
    s.textContent = msg;
  }

  // Controls for the current step are rebuilt from each step's frames.
  var pending = [];
  function receive(f) {
    if (f.type === 'state') {
      if (f.token) token = f.token;
      node = f.node || '';
      render(pending); pending = [];
      return;
    }
    if (f.type === 'speech') { document.dispatchEvent(new CustomEvent('imha:say', { detail: f.url })); return; }
    if (f.type === 'bye') { token = ''; status(text('ended')); ws.close(); return; }
    pending.push(f);
  }

  function render(frames) {
    // The first step is not focused: on arrival focus stays at the top, so
    // the heading and the "nobody watches this chat" notice are read first.
    var arriving = fresh;
    if (fresh) { log.textContent = ''; fresh = false; }
    var controls = el('div', 'chat-controls'), focusTarget = null;
    frames.forEach(function (f) {
      if (f.type === 'message' || f.type === 'safety' || f.type === 'error') {
        var b = el('div', 'bubble' + (f.type !== 'message' ? ' bubble-' + f.type : '') + (f.picture ? ' picture-row' : ''));
        if (f.type !== 'message') b.setAttribute('role', 'alert');
        if (f.picture) { var img = el('img', 'picture'); img.src = '/static/pictures/' + f.picture; img.alt = ''; img.width = 96; img.height = 96; b.appendChild(img); }
        b.appendChild(el('p', null, f.text));
        log.appendChild(b);
      } else if (f.type === 'input' && f.input.kind !== 'yesno') {
        var wrap = el('div', 'chat-input');
        var input = el('input'); input.id = 'chat-text'; input.autocomplete = 'off';
        input.type = f.input.kind === 'date' ? 'date' : (f.input.rule === 'phone' ? 'tel' : 'text');
        if (f.input.max) input.maxLength = f.input.max;
        var label = el('label', 'field-label', text('answer')); label.htmlFor = 'chat-text';
        var go = el('button', 'button', text('send')); go.type = 'submit'; go.name = 'action'; go.value = 'send';
        controls.appendChild(label); wrap.appendChild(input); wrap.appendChild(go); controls.appendChild(wrap);
        focusTarget = focusTarget || input;
      } else if (f.type === 'summary') {
        var dl = el('dl', 'summary');
        f.rows.forEach(function (r) {
          var row = el('div', 'summary-row');
          row.appendChild(el('dt', null, r.label)); row.appendChild(el('dd', null, r.value));
          var dd = el('dd'), ch = el('button', 'link-button', r.change_text);
          ch.type = 'submit'; ch.name = 'choose'; ch.value = r.change; ch.setAttribute('aria-label', r.change_text + ' – ' + r.label);
          dd.appendChild(ch); row.appendChild(dd); dl.appendChild(row);
        });
        controls.appendChild(dl);
      } else if (f.type === 'choices') {
        var box = el('div', 'chat-choices');
        f.choices.forEach(function (c) {
          var btn = el('button', 'button button-choice', c.text); btn.type = 'submit'; btn.name = 'choose'; btn.value = c.value;
          box.appendChild(btn);
          focusTarget = focusTarget || btn;
        });
        controls.appendChild(box);
      }
    });
    var old = form.querySelector('.chat-controls');
    if (old) old.replaceWith(controls); else form.insertBefore(controls, form.querySelector('.chat-nav'));
    form.querySelectorAll('.summary, .chat-input, .chat-choices, label[for=chat-text]').forEach(function (n) {
      if (!controls.contains(n)) n.remove();
    });
    if (focusTarget && !arriving) focusTarget.focus();
    document.dispatchEvent(new CustomEvent('chat:step'));
  }

  form.addEventListener('submit', function (ev) {
    if (!live) return; // the plain form carries on without the websocket
    ev.preventDefault();
    var b = ev.submitter || {};
    if (b.name === 'choose') send({ type: 'choose', value: b.value, node: node });
    else if (b.value === 'back') send({ type: 'back' });
    else if (b.value === 'restart') send({ type: 'restart' });
    else {
      var input = document.getElementById('chat-text');
      if (!input) return;
      send({ type: 'text', value: input.value, node: node });
      input.value = '';
    }
  });

  // A kiosk reset or quick exit ends the session on the server now, rather
  // than leaving it to expire.
  document.addEventListener('imha:end', function () {
    var t = token || form.elements.token.value;
    ended = true; token = '';
    if (ws) ws.close();
    if (t) fetch('/chat/end', { method: 'POST', keepalive: true, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: t }) }).catch(function () {});
  });

  connect();
})();
