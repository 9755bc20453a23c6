/*!
 * Parley chat widget. Embed with:
 *   <script src="https://<parley api>/widget.js" data-parley-website="wt_..." async></script>
 * Optional, before it: window.parleySettings = { identityToken: "<HS256 JWT from your server>" }.
 * Then: Parley.open(), Parley.close(), Parley.reset() (forget this browser's conversation).
 *
 * Plain JavaScript with no dependencies, rendered in a shadow root so the site's CSS and the widget's
 * never mix. Every text from the server is set with textContent: a reply is never parsed as HTML.
 */
(function () {
  'use strict';
  if (window.Parley && window.Parley.__loaded) return;

  var script = document.currentScript || document.querySelector('script[data-parley-website],script[data-parley-preview]');
  if (!script) return;
  var token = script.getAttribute('data-parley-website') || script.getAttribute('data-parley-preview');
  if (!token) {
    console.error('[parley] the widget script needs data-parley-website="wt_..."');
    return;
  }
  var base = new URL(script.src, location.href).origin;
  var endpoint = base + '/widget/v1/' + encodeURIComponent(token);
  var storageKey = 'parley:' + token.slice(0, 64);
  var POLL_MS = 4000;

  var state = {
    config: null,
    session: load(),
    open: false,
    seen: new Set(),
    lastId: null,
    busy: false,
    ended: false,
    pollTimer: null,
    starting: null,
  };

  function load() {
    try {
      var raw = localStorage.getItem(storageKey);
      var parsed = raw ? JSON.parse(raw) : null;
      return parsed && parsed.conversationId && parsed.visitorToken ? parsed : null;
    } catch (e) {
      return null;
    }
  }
  function save(session) {
    state.session = session;
    try {
      if (session) localStorage.setItem(storageKey, JSON.stringify(session));
      else localStorage.removeItem(storageKey);
    } catch (e) {
      /* storage may be blocked: the conversation then lasts as long as the page */
    }
  }

  function newId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    return Date.now().toString(36) + Math.random().toString(36).slice(2);
  }

  function ApiError(status, body) {
    this.status = status;
    this.code = (body && body.code) || 'error';
    this.message = (body && body.message) || 'something went wrong';
    this.details = body && body.details;
  }

  async function api(method, path, body, withVisitor) {
    var headers = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (withVisitor && state.session) headers.Authorization = 'Bearer ' + state.session.visitorToken;
    var response;
    try {
      response = await fetch(endpoint + path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', mode: 'cors' });
    } catch (e) {
      throw new ApiError(0, { code: 'network_error', message: 'Cannot reach the chat service. Check your connection.' });
    }
    var data = null;
    try {
      data = await response.json();
    } catch (e) {
      data = null;
    }
    if (!response.ok) {
      var error = new ApiError(response.status, data);
      if (response.status === 429) error.retryAfter = Number(response.headers.get('Retry-After')) || 60;
      throw error;
    }
    return { status: response.status, body: data };
  }

  // ---- view -------------------------------------------------------------------------------------
  var host = document.createElement('div');
  host.setAttribute('data-parley-widget', '');
  var root = host.attachShadow({ mode: 'open' });
  var style = document.createElement('style');
  root.appendChild(style);

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Icons are inline SVG built node by node (no markup parsed): a font glyph such as an emoji renders as
  // an empty box where the visitor's system lacks the font. The button carries the accessible name; the
  // drawing is hidden from screen readers.
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var ICONS = {
    // A speech bubble, filled.
    chat: { fill: 'currentColor', d: 'M12 3C6.48 3 2 6.7 2 11.25c0 2.36 1.2 4.48 3.13 5.98L4.3 21.1a.5.5 0 0 0 .72.55l4.2-2.2c.89.2 1.82.3 2.78.3 5.52 0 10-3.7 10-8.25S17.52 3 12 3z' },
    // A cross, stroked.
    close: { stroke: 'currentColor', d: 'M6 6l12 12M18 6L6 18' },
  };
  function icon(name) {
    var spec = ICONS[name];
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('class', 'icon icon-' + name);
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', '24');
    svg.setAttribute('height', '24');
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    var path = document.createElementNS(SVG_NS, 'path');
    path.setAttribute('d', spec.d);
    path.setAttribute('fill', spec.fill || 'none');
    if (spec.stroke) {
      path.setAttribute('stroke', spec.stroke);
      path.setAttribute('stroke-width', '2.25');
      path.setAttribute('stroke-linecap', 'round');
    }
    svg.appendChild(path);
    return svg;
  }
  function setIcon(button, name) {
    while (button.firstChild) button.removeChild(button.firstChild);
    button.appendChild(icon(name));
  }

  var launcher = el('button', 'launcher');
  launcher.type = 'button';
  launcher.setAttribute('aria-label', 'Open chat');
  launcher.setAttribute('aria-expanded', 'false');
  setIcon(launcher, 'chat');

  var panel = el('section', 'panel');
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'Chat');
  panel.hidden = true;
  var header = el('header', 'header');
  var title = el('h2', 'title', 'Chat');
  var closeButton = el('button', 'close');
  closeButton.type = 'button';
  closeButton.setAttribute('aria-label', 'Close chat');
  setIcon(closeButton, 'close');
  header.appendChild(title);
  header.appendChild(closeButton);
  var log = el('div', 'log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  var notice = el('div', 'notice');
  notice.hidden = true;
  var form = el('form', 'composer');
  var input = el('input', 'input');
  input.type = 'text';
  input.name = 'message';
  input.autocomplete = 'off';
  input.maxLength = 4000;
  input.placeholder = 'Type a message\u2026';
  input.setAttribute('aria-label', 'Message');
  var sendButton = el('button', 'send', 'Send');
  sendButton.type = 'submit';
  form.appendChild(input);
  form.appendChild(sendButton);
  panel.appendChild(header);
  panel.appendChild(log);
  panel.appendChild(notice);
  panel.appendChild(form);
  root.appendChild(panel);
  root.appendChild(launcher);

  function paint() {
    var color = (state.config && state.config.appearance && state.config.appearance.color) || '#2563eb';
    var side = state.config && state.config.appearance && state.config.appearance.position === 'left' ? 'left' : 'right';
    style.textContent = [
      ':host { all: initial; }',
      '* { box-sizing: border-box; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }',
      '.launcher { position: fixed; bottom: 20px; ' + side + ': 20px; width: 56px; height: 56px; border-radius: 50%; border: 0; background: ' + color + '; color: #fff; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483000; display: flex; align-items: center; justify-content: center; padding: 0; }',
      '.launcher .icon { width: 28px; height: 28px; }',
      '.icon { display: block; flex: none; }',
      '.panel { position: fixed; bottom: 88px; ' + side + ': 20px; width: min(380px, calc(100vw - 40px)); height: min(560px, calc(100vh - 120px)); display: flex; flex-direction: column; background: #fff; color: #111827; border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.25); overflow: hidden; z-index: 2147483000; font-size: 14px; }',
      '.panel[hidden] { display: none; }',
      '.header { display: flex; align-items: center; justify-content: space-between; padding: 12px 16px; background: ' + color + '; color: #fff; }',
      '.title { margin: 0; font-size: 16px; font-weight: 600; }',
      '.close { background: transparent; border: 0; color: #fff; cursor: pointer; padding: 4px; display: flex; }',
      '.close .icon { width: 20px; height: 20px; }',
      '.log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; }',
      '.msg { max-width: 85%; padding: 8px 12px; border-radius: 12px; white-space: pre-wrap; word-wrap: break-word; line-height: 1.4; }',
      '.msg.bot, .msg.agent { align-self: flex-start; background: #f3f4f6; }',
      '.msg.agent { border-left: 3px solid ' + color + '; }',
      '.msg.visitor { align-self: flex-end; background: ' + color + '; color: #fff; }',
      '.choices { display: flex; flex-wrap: wrap; gap: 6px; align-self: flex-start; }',
      '.choice { border: 1px solid ' + color + '; background: #fff; color: ' + color + '; border-radius: 999px; padding: 4px 12px; cursor: pointer; font-size: 13px; }',
      '.choice:disabled { opacity: .5; cursor: default; }',
      '.sources { font-size: 12px; color: #6b7280; align-self: flex-start; }',
      '.typing { align-self: flex-start; color: #6b7280; font-style: italic; }',
      '.notice { padding: 8px 12px; font-size: 13px; background: #fef3c7; color: #92400e; }',
      '.notice button { margin-left: 8px; }',
      '.composer { display: flex; gap: 8px; padding: 10px; border-top: 1px solid #e5e7eb; }',
      '.input { flex: 1; padding: 8px 10px; border: 1px solid #d1d5db; border-radius: 8px; font-size: 14px; }',
      '.send { padding: 8px 14px; border: 0; border-radius: 8px; background: ' + color + '; color: #fff; cursor: pointer; }',
      '.send:disabled, .input:disabled { opacity: .6; }',
    ].join('\n');
  }
  paint();

  function showNotice(text, action) {
    notice.textContent = text;
    if (action) {
      var button = el('button', '', action.label);
      button.type = 'button';
      button.addEventListener('click', action.run);
      notice.appendChild(button);
    }
    notice.hidden = false;
  }
  function clearNotice() {
    notice.hidden = true;
    notice.textContent = '';
  }

  function setBusy(busy) {
    state.busy = busy;
    input.disabled = busy || state.ended;
    sendButton.disabled = busy || state.ended;
    var typing = log.querySelector('.typing');
    if (busy && !typing) log.appendChild(el('div', 'typing', '\u2026'));
    if (!busy && typing) typing.remove();
    scrollDown();
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  /** Renders messages not shown yet, in order; choices only stay clickable on the newest bot message. */
  function render(messages) {
    var added = false;
    messages.forEach(function (m) {
      if (!m || !m.id || state.seen.has(m.id)) return;
      state.seen.add(m.id);
      state.lastId = m.id;
      added = true;
      var typing = log.querySelector('.typing');
      var bubble = el('div', 'msg ' + (m.role === 'visitor' ? 'visitor' : m.role === 'agent' ? 'agent' : 'bot'), m.text);
      bubble.setAttribute('data-message-id', m.id);
      bubble.setAttribute('data-role', m.role);
      log.insertBefore(bubble, typing);
      if (m.choices && m.choices.length) {
        var row = el('div', 'choices');
        m.choices.forEach(function (choice) {
          var button = el('button', 'choice', choice.label);
          button.type = 'button';
          button.addEventListener('click', function () {
            send(choice.value);
          });
          row.appendChild(button);
        });
        log.insertBefore(row, typing);
      }
      if (m.sources && m.sources.length) {
        log.insertBefore(el('div', 'sources', 'Sources: ' + m.sources.map(function (s) { return s.title; }).join(', ')), typing);
      }
    });
    if (added) {
      var rows = log.querySelectorAll('.choices');
      rows.forEach(function (row, index) {
        var latest = index === rows.length - 1 && row.previousElementSibling && row.previousElementSibling.getAttribute('data-message-id') === state.lastId;
        row.querySelectorAll('button').forEach(function (b) {
          b.disabled = !latest;
        });
      });
      scrollDown();
    }
  }

  function handleError(error) {
    if (error.code === 'conversation_closed') return ended();
    if (error.code === 'invalid_visitor_token' || error.code === 'conversation_not_found') {
      // This browser's conversation is gone (or the website was re-created): begin a new one.
      save(null);
      resetLog();
      return start();
    }
    if (error.status === 429) return showNotice('Too many messages. Try again in ' + error.retryAfter + ' s.');
    if (error.code === 'origin_not_allowed') return showNotice('This chat is not enabled on this website.');
    showNotice(error.message);
  }

  function ended() {
    state.ended = true;
    stopPolling();
    setBusy(false);
    showNotice('This conversation has ended.', {
      label: 'Start a new one',
      run: function () {
        save(null);
        resetLog();
        start();
      },
    });
  }

  function resetLog() {
    state.seen = new Set();
    state.lastId = null;
    state.ended = false;
    log.textContent = '';
    clearNotice();
    setBusy(false);
  }

  async function loadConfig() {
    try {
      state.config = (await api('GET', '/config')).body;
      title.textContent = state.config.title;
      paint();
    } catch (error) {
      handleError(error);
    }
  }

  async function start() {
    if (state.starting) return state.starting;
    state.starting = (async function () {
      setBusy(true);
      try {
        var settings = window.parleySettings || {};
        var body = settings.identityToken ? { identityToken: String(settings.identityToken) } : {};
        var result = await api('POST', '/conversations', body, false);
        save({ conversationId: result.body.conversation.id, visitorToken: result.body.visitorToken });
        clearNotice();
        render(result.body.replies || []);
        startPolling();
      } catch (error) {
        handleError(error);
      } finally {
        setBusy(false);
        state.starting = null;
      }
    })();
    return state.starting;
  }

  async function fetchNew() {
    if (!state.session) return;
    var more = true;
    while (more) {
      var query = '?limit=100' + (state.lastId ? '&after=' + encodeURIComponent(state.lastId) : '');
      var result = await api('GET', '/conversations/' + encodeURIComponent(state.session.conversationId) + '/messages' + query, undefined, true);
      render(result.body.data);
      more = result.body.hasMore;
      if (result.body.conversation && result.body.conversation.status === 'closed') {
        ended();
        return;
      }
    }
  }

  function startPolling() {
    stopPolling();
    state.pollTimer = setInterval(function () {
      if (!state.open || state.busy || state.ended) return;
      fetchNew().catch(handleError);
    }, POLL_MS);
  }
  function stopPolling() {
    if (state.pollTimer) clearInterval(state.pollTimer);
    state.pollTimer = null;
  }

  async function send(text) {
    text = String(text || '').trim();
    if (!text || state.busy || state.ended) return;
    if (!state.session) await start();
    if (!state.session) return;
    var clientMessageId = newId();
    var pending = el('div', 'msg visitor', text);
    pending.setAttribute('data-role', 'visitor');
    log.appendChild(pending);
    input.value = '';
    setBusy(true);
    try {
      var result = await api('POST', '/conversations/' + encodeURIComponent(state.session.conversationId) + '/messages', { message: { type: 'text', text: text }, clientMessageId: clientMessageId }, true);
      pending.setAttribute('data-message-id', result.body.messageId);
      state.seen.add(result.body.messageId);
      state.lastId = result.body.messageId;
      clearNotice();
      render(result.body.replies || []);
    } catch (error) {
      pending.remove();
      if (error.code !== 'conversation_closed') input.value = text;
      handleError(error);
    } finally {
      setBusy(false);
      input.focus();
    }
  }

  async function open() {
    state.open = true;
    panel.hidden = false;
    launcher.setAttribute('aria-expanded', 'true');
    launcher.setAttribute('aria-label', 'Close chat');
    setIcon(launcher, 'close');
    input.focus();
    if (!state.session) return start();
    try {
      await fetchNew();
      if (!state.ended) startPolling();
    } catch (error) {
      handleError(error);
    }
  }
  function close() {
    state.open = false;
    panel.hidden = true;
    launcher.setAttribute('aria-expanded', 'false');
    launcher.setAttribute('aria-label', 'Open chat');
    setIcon(launcher, 'chat');
    stopPolling();
  }

  launcher.addEventListener('click', function () {
    if (state.open) close();
    else open();
  });
  closeButton.addEventListener('click', close);
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    send(input.value);
  });

  window.Parley = {
    __loaded: true,
    open: open,
    close: close,
    reset: function () {
      save(null);
      resetLog();
      if (state.open) start();
    },
  };

  function mount() {
    document.body.appendChild(host);
    loadConfig().then(function () {
      if (script.getAttribute('data-parley-open') === 'true') open();
    });
  }
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
