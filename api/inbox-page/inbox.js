/*!
 * Parley agent inbox page (served at /inbox by the API).
 *
 * Plain JavaScript with no dependencies and no build step. Every text from the server is set with
 * textContent: a visitor's message is never parsed as HTML. The page keeps the agent's access token in
 * memory only and the refresh token in sessionStorage (this tab only, gone when it closes); it refreshes
 * the session before the access token expires. It talks to the same API as any other client:
 *   /v1/agent-auth/{accept,login,refresh,logout}  /v1/agents/me(/heartbeat)  /v1/inbox
 *   /v1/conversations/:id(/messages|/events|/claim|/agent-messages|/notes|/release|/close)
 * The event stream is read with fetch() rather than EventSource, which cannot send an Authorization header.
 */
(function () {
  'use strict';

  var REFRESH_KEY = 'parley-inbox:refresh-token';
  var HEARTBEAT_MS = 30000;
  var QUEUE_MS = 5000;
  var SLA_LABELS = { firstResponseDueAt: 'First response', nextResponseDueAt: 'Next response', resolutionDueAt: 'Resolution' };
  var ROLE_LABELS = { visitor: 'Visitor', bot: 'Bot', agent: 'Agent', note: 'Internal note' };

  var state = {
    /** { accessToken, expiresAt (ms), agent } or null. */
    session: null,
    refreshing: null,
    timers: { refresh: 0, heartbeat: 0, queue: 0, clocks: 0 },
    invite: null,
    queue: { waiting: [], mine: [], others: [], counts: {} },
    queueBusy: false,
    /** Names of the account's agents and bots (GET /v1/agents), to label messages and queue items. */
    names: {},
    /** The open conversation: { id, conversation, seen: Set of message ids, after: SSE position, abort }. */
    current: null,
  };

  var $ = function (id) {
    return document.getElementById(id);
  };

  // ---- the API ------------------------------------------------------------------------------------

  function ApiError(status, body) {
    this.status = status;
    this.code = (body && body.code) || 'error';
    this.message = (body && body.message) || 'Something went wrong (' + status + ').';
    this.details = body ? body.details : null;
  }

  /** Calls the API as the signed-in agent; a 401 refreshes the session once and tries again. */
  async function api(method, path, body, options) {
    options = options || {};
    var headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (options.anonymous !== true && state.session) headers.Authorization = 'Bearer ' + state.session.accessToken;
    var response;
    try {
      response = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'omit', cache: 'no-store' });
    } catch (e) {
      throw new ApiError(0, { code: 'network_error', message: 'Cannot reach the server. Check your connection and try again.' });
    }
    var data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (e) {
        data = null;
      }
    }
    if (response.status === 401 && options.anonymous !== true && !options.retried && state.session) {
      if (await refreshSession()) return api(method, path, body, { retried: true });
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  var enc = encodeURIComponent;
  var list = function (value) {
    return Array.isArray(value) ? value : value && Array.isArray(value.data) ? value.data : [];
  };

  // ---- showing things -----------------------------------------------------------------------------

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  var SVG = 'http://www.w3.org/2000/svg';
  function icon(name) {
    var svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('class', 'icon');
    svg.setAttribute('aria-hidden', 'true');
    var use = document.createElementNS(SVG, 'use');
    use.setAttribute('href', '#i-' + name);
    svg.appendChild(use);
    return svg;
  }

  function button(label, iconName, onClick, ariaLabel) {
    var b = el('button', 'small');
    b.type = 'button';
    if (iconName) b.appendChild(icon(iconName));
    b.appendChild(document.createTextNode(' ' + label));
    if (ariaLabel) b.setAttribute('aria-label', ariaLabel);
    b.addEventListener('click', onClick);
    return b;
  }

  /** Shows an error in a `p.error` (or hides it with null). */
  function showError(node, error) {
    if (!node) return;
    if (!error) {
      node.hidden = true;
      node.textContent = '';
      node.removeAttribute('data-code');
      return;
    }
    node.textContent = error.message || String(error);
    node.setAttribute('data-code', error.code || 'error');
    node.hidden = false;
  }
  var notice = function (error) {
    showError($('notice'), error);
  };
  var errorIn = function (container) {
    return container.querySelector('p.error');
  };

  /** One of the three screens: 'invite', 'login' or 'app'. */
  function screen(name) {
    $('invite').hidden = name !== 'invite';
    $('login').hidden = name !== 'login';
    $('app').hidden = name !== 'app';
    $('me').hidden = name !== 'app';
  }

  /** `1:05:09`, `4:09`, or `2d 3h` for long durations. */
  function duration(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400);
    var h = Math.floor((s % 86400) / 3600);
    var m = Math.floor((s % 3600) / 60);
    var sec = s % 60;
    if (d > 0) return d + 'd ' + h + 'h';
    var mm = h > 0 && m < 10 ? '0' + m : String(m);
    return (h > 0 ? h + ':' : '') + mm + ':' + (sec < 10 ? '0' : '') + sec;
  }

  // ---- session ------------------------------------------------------------------------------------

  function storedRefresh() {
    try {
      return sessionStorage.getItem(REFRESH_KEY);
    } catch (e) {
      return null;
    }
  }
  function storeRefresh(token) {
    try {
      if (token) sessionStorage.setItem(REFRESH_KEY, token);
      else sessionStorage.removeItem(REFRESH_KEY);
    } catch (e) {
      /* storage blocked: the session then lasts as long as the page */
    }
  }

  /** Takes a session answer `{ accessToken, refreshToken, expiresAt, agent }`. */
  function applySession(session) {
    state.session = { accessToken: session.accessToken, expiresAt: Date.parse(session.expiresAt), agent: session.agent || (state.session && state.session.agent) || {} };
    state.memoryRefresh = session.refreshToken;
    storeRefresh(session.refreshToken);
    clearTimeout(state.timers.refresh);
    // Refresh a minute before expiry (or at 80% of a short lifetime), never sooner than in 5 s.
    var left = state.session.expiresAt - Date.now();
    var wait = isNaN(left) ? 5 * 60000 : Math.max(5000, Math.min(left - 60000, left * 0.8));
    state.timers.refresh = setTimeout(refreshSession, wait);
    showMe();
  }

  /**
   * Exchanges the refresh token for a new session. One at a time: refresh tokens rotate, and using one
   * twice ends the session on the server.
   */
  function refreshSession() {
    if (state.refreshing) return state.refreshing;
    var token = storedRefresh() || state.memoryRefresh;
    if (!token) return Promise.resolve(false);
    state.refreshing = api('POST', '/v1/agent-auth/refresh', { refreshToken: token }, { anonymous: true })
      .then(function (session) {
        applySession(session);
        return true;
      })
      .catch(function (error) {
        if (error.status === 0 && state.session) {
          // Offline for a moment: keep the session and try again shortly.
          clearTimeout(state.timers.refresh);
          state.timers.refresh = setTimeout(refreshSession, 15000);
          return false;
        }
        endSession({ code: 'session_ended', message: 'Your session has ended. Please sign in again.' });
        return false;
      })
      .finally(function () {
        state.refreshing = null;
      });
    return state.refreshing;
  }

  /** Shows the inbox for a new session (or, with none, for the one refreshSession just applied). */
  function startApp(session) {
    if (session) applySession(session);
    notice(null);
    screen('app');
    heartbeat();
    state.timers.heartbeat = setInterval(heartbeat, HEARTBEAT_MS);
    state.timers.queue = setInterval(loadQueue, QUEUE_MS);
    state.timers.clocks = setInterval(tickClocks, 1000);
    loadNames();
    loadQueue();
    $('availability').focus();
  }

  /** Forgets the session (after sign-out, or when it ended) and shows the sign-in form. */
  function endSession(message) {
    clearTimeout(state.timers.refresh);
    clearInterval(state.timers.heartbeat);
    clearInterval(state.timers.queue);
    clearInterval(state.timers.clocks);
    closeConversation();
    state.session = null;
    state.memoryRefresh = null;
    storeRefresh(null);
    state.queue = { waiting: [], mine: [], others: [], counts: {} };
    renderQueue();
    screen('login');
    notice(message || null);
  }

  function showMe() {
    var agent = state.session && state.session.agent;
    if (!agent) return;
    $('me-name').textContent = agent.name || agent.email || '';
    if (agent.availability) $('availability').value = agent.availability;
    $('others-block').hidden = agent.role !== 'admin';
  }

  function myId() {
    var agent = state.session && state.session.agent;
    return agent ? agent.id || agent.agentId : null;
  }

  async function heartbeat() {
    try {
      var answer = await api('POST', '/v1/agents/me/heartbeat');
      var agent = answer && (answer.agent || answer);
      // An `online` agent whose heartbeats lapsed became `away`: show what the server knows.
      if (agent && agent.availability && state.session) {
        state.session.agent.availability = agent.availability;
        if (document.activeElement !== $('availability')) $('availability').value = agent.availability;
      }
    } catch (e) {
      /* the next beat tries again; a session that ended is handled by api() */
    }
  }

  async function setAvailability() {
    var select = $('availability');
    var wanted = select.value;
    select.disabled = true;
    try {
      var answer = await api('PATCH', '/v1/agents/me', { availability: wanted });
      var agent = (answer && answer.agent) || { availability: wanted };
      state.session.agent.availability = agent.availability || wanted;
      notice(null);
      loadQueue();
    } catch (error) {
      select.value = state.session ? state.session.agent.availability || 'offline' : 'offline';
      notice(error);
    } finally {
      select.disabled = false;
    }
  }

  /** Agent and bot names, to label messages and queue items (ids are shown when this fails). */
  async function loadNames() {
    try {
      var answer = await api('GET', '/v1/agents');
      list(answer).concat(list(answer && answer.aiAgents)).forEach(function (a) {
        if (a && a.id) state.names[a.id] = a.name || a.id;
      });
      renderQueue();
    } catch (e) {
      /* names are a convenience */
    }
  }

  // ---- forms: invite, sign in, sign out -----------------------------------------------------------

  function readInvite() {
    var match = /(?:^#|&)invite=([^&]+)/.exec(location.hash);
    return match ? decodeURIComponent(match[1]) : null;
  }

  async function submitInvite(event) {
    event.preventDefault();
    var form = $('invite-form');
    var error = errorIn(form);
    var password = $('invite-password').value;
    if (password.length < 10) return showError(error, { code: 'validation_failed', message: 'The password must be at least 10 characters.' });
    if (password !== $('invite-confirm').value) return showError(error, { code: 'validation_failed', message: 'The two passwords differ.' });
    form.querySelector('button').disabled = true;
    try {
      var session = await api('POST', '/v1/agent-auth/accept', { token: state.invite, password: password }, { anonymous: true });
      state.invite = null;
      form.reset();
      showError(error, null);
      history.replaceState(null, '', location.pathname + location.search); // the invite is spent
      startApp(session);
    } catch (e) {
      showError(error, e);
    } finally {
      form.querySelector('button').disabled = false;
    }
  }

  async function submitLogin(event) {
    event.preventDefault();
    var form = $('login-form');
    var error = errorIn(form);
    var email = $('login-email').value.trim();
    var password = $('login-password').value;
    if (!email || !password) return showError(error, { code: 'validation_failed', message: 'Enter your email and password.' });
    var body = { email: email, password: password };
    if (!$('login-account-block').hidden && $('login-account').value) body.accountId = $('login-account').value;
    form.querySelector('button').disabled = true;
    try {
      var session = await api('POST', '/v1/agent-auth/login', body, { anonymous: true });
      $('login-password').value = '';
      $('login-account-block').hidden = true;
      showError(error, null);
      startApp(session);
    } catch (e) {
      showError(error, e);
      if (e.code === 'account_required' && e.details && Array.isArray(e.details.accounts)) {
        // This email and password open agents of several accounts: the agent picks one.
        var select = $('login-account');
        select.textContent = '';
        e.details.accounts.forEach(function (account) {
          var option = el('option', null, account.name + ' (' + account.id + ')');
          option.value = account.id;
          select.appendChild(option);
        });
        $('login-account-block').hidden = false;
        select.focus();
      } else {
        $('login-password').focus();
      }
    } finally {
      form.querySelector('button').disabled = false;
    }
  }

  async function signOut() {
    try {
      await api('POST', '/v1/agent-auth/logout', {});
    } catch (e) {
      /* signed out here either way */
    }
    endSession({ code: 'signed_out', message: 'You are signed out.' });
    $('login-email').focus();
  }

  // ---- the queue ----------------------------------------------------------------------------------

  async function loadQueue() {
    if (state.queueBusy || !state.session) return;
    state.queueBusy = true;
    var error = errorIn($('queue'));
    try {
      var answer = await api('GET', '/v1/inbox');
      if (!state.session) return;
      state.queue = { waiting: list(answer.waiting), mine: list(answer.mine), others: list(answer.others), counts: answer.counts || {} };
      showError(error, null);
      renderQueue();
    } catch (e) {
      if (state.session) showError(error, e);
    } finally {
      state.queueBusy = false;
    }
  }

  function findItem(conversationId) {
    var all = state.queue.waiting.concat(state.queue.mine, state.queue.others);
    for (var i = 0; i < all.length; i++) if (all[i].conversationId === conversationId) return all[i];
    return null;
  }

  /** Rebuilds the three lists, keeping the focus on the same button when it is still there. */
  function renderQueue() {
    var focused = document.activeElement && document.activeElement.getAttribute('data-key');
    ['waiting', 'mine', 'others'].forEach(function (name) {
      var ol = $(name);
      ol.textContent = '';
      state.queue[name].forEach(function (item) {
        ol.appendChild(queueItem(item, name));
      });
      // The list shows the first entries; the count is all of them.
      var counts = state.queue.counts || {};
      $(name + '-count').textContent = '(' + (typeof counts[name] === 'number' ? counts[name] : state.queue[name].length) + ')';
    });
    // The tab's title counts what waits, for an agent working in another tab.
    var waiting = typeof (state.queue.counts || {}).waiting === 'number' ? state.queue.counts.waiting : state.queue.waiting.length;
    document.title = waiting > 0 ? '(' + waiting + ') Parley inbox' : 'Parley inbox';
    if (focused) {
      var again = document.querySelector('[data-key="' + focused.replace(/["\\]/g, '') + '"]');
      if (again) again.focus();
    }
    renderCurrentSla();
    tickClocks();
  }

  function queueItem(item, listName) {
    var id = item.conversationId;
    var li = el('li', 'item' + (state.current && state.current.id === id ? ' current' : ''));
    li.setAttribute('data-conversation', id);
    var head = el('div', 'item-head');
    head.appendChild(el('span', 'item-title', item.contactName || 'Visitor'));
    head.appendChild(el('span', 'item-meta', (state.names[item.botId] || item.botId) + ' · ' + (item.channel || '')));
    li.appendChild(head);
    li.appendChild(el('div', 'item-meta item-id', id));

    var meta = el('div', 'item-meta');
    if (listName === 'waiting' || !item.assignedAgentId) {
      meta.appendChild(document.createTextNode('Waiting '));
      var since = el('span', 'since');
      since.setAttribute('data-since', String(sinceMs(item)));
      meta.appendChild(since);
    } else {
      var who = item.assignedAgentId === myId() ? 'you' : state.names[item.assignedAgentId] || item.assignedAgentId;
      meta.appendChild(document.createTextNode('Assigned to ' + who));
    }
    if (item.team) meta.appendChild(document.createTextNode(' · team ' + item.team));
    if (typeof item.messageCount === 'number') meta.appendChild(document.createTextNode(' · ' + item.messageCount + ' messages'));
    li.appendChild(meta);

    var clocks = slaClocks(item.sla);
    if (clocks) li.appendChild(clocks);

    var actions = el('div', 'item-actions');
    if (listName === 'waiting') {
      var claim = button('Claim', 'claim', function () {
        claimConversation(id);
      }, 'Claim conversation ' + id);
      claim.setAttribute('data-key', 'claim:' + id);
      claim.classList.add('claim');
      actions.appendChild(claim);
    }
    var open = button('Open', 'open', function () {
      openConversation(id);
    }, 'Open conversation ' + id);
    open.setAttribute('data-key', 'open:' + listName + ':' + id);
    open.classList.add('open');
    actions.appendChild(open);
    li.appendChild(actions);
    return li;
  }

  /** When the item started waiting (ms): its handoff, else now minus the server's waiting time. */
  function sinceMs(item) {
    var at = Date.parse(item.handoffAt);
    if (!isNaN(at)) return at;
    return Date.now() - (Number(item.waitingSeconds) || 0) * 1000;
  }

  /** The SLA clocks of an item (`p.sla` with one `.clock` per running target), or null without an SLA. */
  function slaClocks(sla) {
    if (!sla) return null;
    var box = el('p', 'sla');
    Object.keys(SLA_LABELS).forEach(function (field) {
      var due = Date.parse(sla[field]);
      if (isNaN(due)) return;
      var clock = el('span', 'clock');
      clock.appendChild(icon('clock'));
      clock.appendChild(el('span', 'clock-label', SLA_LABELS[field] + ': '));
      var value = el('span', 'clock-value');
      clock.appendChild(value);
      clock.setAttribute('data-due', String(due));
      clock.setAttribute('data-target', field.replace(/DueAt$/, ''));
      if (sla.state === 'at_risk') clock.setAttribute('data-at-risk', 'true');
      box.appendChild(clock);
    });
    if (sla.state === 'breached' || sla.state === 'met') box.appendChild(el('span', 'sla-state ' + sla.state, sla.state === 'met' ? 'SLA met' : 'SLA breached'));
    return box.childNodes.length ? box : null;
  }

  /** Updates every waiting time and SLA clock on the page (once a second). */
  function tickClocks() {
    var now = Date.now();
    document.querySelectorAll('[data-since]').forEach(function (node) {
      node.textContent = duration(now - Number(node.getAttribute('data-since')));
    });
    document.querySelectorAll('.clock[data-due]').forEach(function (clock) {
      var left = Number(clock.getAttribute('data-due')) - now;
      var value = clock.querySelector('.clock-value');
      var breached = left <= 0;
      value.textContent = breached ? 'breached ' + duration(left) + ' ago' : duration(left) + ' left';
      clock.classList.toggle('breached', breached);
      clock.classList.toggle('at-risk', !breached && clock.getAttribute('data-at-risk') === 'true');
    });
  }

  async function claimConversation(id) {
    var error = errorIn($('queue'));
    try {
      await api('POST', '/v1/conversations/' + enc(id) + '/claim', {});
      showError(error, null);
      await loadQueue();
      await openConversation(id);
    } catch (e) {
      showError(error, e);
      loadQueue();
    }
  }

  // ---- the open conversation ----------------------------------------------------------------------

  function closeConversation() {
    if (state.current && state.current.abort) state.current.abort.abort();
    state.current = null;
    $('conversation-body').hidden = true;
    $('conversation-empty').hidden = false;
    $('conversation-title').textContent = 'No conversation open';
    $('transcript').textContent = '';
    document.querySelectorAll('.item.current').forEach(function (li) {
      li.classList.remove('current');
    });
  }

  async function openConversation(id) {
    closeConversation();
    var current = { id: id, conversation: null, seen: new Set(), after: -1, abort: new AbortController(), ended: false };
    state.current = current;
    document.querySelectorAll('.item[data-conversation="' + id + '"]').forEach(function (li) {
      li.classList.add('current');
    });
    $('conversation-title').textContent = 'Conversation ' + id;
    $('conversation-empty').hidden = true;
    $('conversation-body').hidden = false;
    $('conversation-meta').textContent = 'Loading…';
    var error = errorIn($('composer'));
    showError(error, null);
    setComposer(false);
    $('conversation-title').focus();
    try {
      var answer = await api('GET', '/v1/conversations/' + enc(id));
      if (state.current !== current) return;
      current.conversation = answer.conversation;
      // Events of messages already in the transcript have positions up to messageCount*100 (activities/events.ts):
      // stream from just before them, so nothing written between the two reads is missed (duplicates are skipped).
      current.after = Math.max(-1, (Number(current.conversation.messageCount) || 0) * 100 - 1);
      var after = null;
      do {
        var page = await api('GET', '/v1/conversations/' + enc(id) + '/messages?include=notes&limit=200' + (after ? '&after=' + enc(after) : ''));
        if (state.current !== current) return;
        list(page).forEach(addMessage);
        after = page.hasMore ? page.nextAfter : null;
      } while (after);
      renderMeta();
      setComposer(current.conversation.status !== 'closed');
      scrollTranscript(true);
      streamEvents(current);
    } catch (e) {
      if (state.current !== current) return;
      $('conversation-meta').textContent = '';
      showError(error, e);
    }
  }

  function renderMeta() {
    var current = state.current;
    if (!current || !current.conversation) return;
    var c = current.conversation;
    var item = findItem(current.id);
    var status = c.status === 'handoff' ? 'handed off to a person' : c.status === 'closed' ? 'closed' : 'with the bot';
    var parts = ['Status: ' + status, 'channel ' + c.channel];
    if (c.contact && (c.contact.name || c.contact.email)) parts.push('visitor ' + [c.contact.name, c.contact.email].filter(Boolean).join(', '));
    var assigned = item ? item.assignedAgentId : c.assignedAgentId;
    if (assigned) parts.push('assigned to ' + (assigned === myId() ? 'you' : state.names[assigned] || assigned));
    else if (c.status === 'handoff') parts.push('waiting for an agent');
    $('conversation-meta').textContent = parts.join(' · ');
    $('claim-open').hidden = !(c.status === 'handoff' && !assigned);
    renderCurrentSla();
    tickClocks();
  }

  function renderCurrentSla() {
    var box = $('conversation-sla');
    if (!box) return;
    box.textContent = '';
    var item = state.current && findItem(state.current.id);
    var clocks = item && slaClocks(item.sla);
    if (clocks) while (clocks.firstChild) box.appendChild(clocks.firstChild);
  }

  function setComposer(enabled) {
    ['composer-text', 'send-reply', 'add-note', 'release', 'close', 'claim-open'].forEach(function (id) {
      $(id).disabled = !enabled;
    });
  }

  function addMessage(message) {
    var current = state.current;
    if (!current || !message || !message.id || current.seen.has(message.id)) return;
    current.seen.add(message.id);
    var role = message.role || 'visitor';
    var li = el('li', 'msg ' + role);
    li.setAttribute('data-id', message.id);
    var who = ROLE_LABELS[role] || role;
    if (message.agentId) who += ' · ' + (message.agentId === myId() ? 'you' : state.names[message.agentId] || message.agentId);
    var label = el('span', 'who');
    if (role === 'note') label.appendChild(icon('note'));
    label.appendChild(document.createTextNode((role === 'note' ? ' ' : '') + who + (message.createdAt ? ' · ' + new Date(message.createdAt).toLocaleTimeString() : '')));
    li.appendChild(label);
    li.appendChild(el('span', 'text', message.text));
    var nearBottom = isNearBottom();
    $('transcript').appendChild(li);
    scrollTranscript(nearBottom);
  }

  function isNearBottom() {
    var t = $('transcript');
    return t.scrollHeight - t.scrollTop - t.clientHeight < 80;
  }
  function scrollTranscript(toBottom) {
    var t = $('transcript');
    if (toBottom) t.scrollTop = t.scrollHeight;
  }

  /**
   * Reads `GET /v1/conversations/:id/events` as Server-Sent Events with fetch and a stream reader, and
   * reconnects from the last event seen (`?after=`) until the conversation is closed in this page.
   */
  async function streamEvents(current) {
    var backoff = 1000;
    while (state.current === current && !current.ended) {
      try {
        var response = await fetch('/v1/conversations/' + enc(current.id) + '/events?after=' + current.after, {
          headers: { Authorization: 'Bearer ' + state.session.accessToken, Accept: 'text/event-stream' },
          signal: current.abort.signal,
          credentials: 'omit',
          cache: 'no-store',
        });
        if (response.status === 401) {
          if (!(await refreshSession())) return;
          continue;
        }
        if (response.status === 404) {
          // No longer ours to read (reassigned, released, or closed by someone else).
          noLongerOpen('This conversation is no longer in your inbox.');
          return;
        }
        if (!response.ok || !response.body) throw new Error('stream answered ' + response.status);
        backoff = 1000;
        await readStream(response.body, current);
      } catch (e) {
        if (current.abort.signal.aborted) return;
      }
      await new Promise(function (resolve) {
        setTimeout(resolve, backoff);
      });
      backoff = Math.min(backoff * 2, 15000);
    }
  }

  async function readStream(body, current) {
    var reader = body.pipeThrough(new TextDecoderStream()).getReader();
    var buffer = '';
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done || state.current !== current) return;
      buffer += chunk.value;
      var frames = buffer.split(/\r?\n\r?\n/);
      buffer = frames.pop();
      frames.forEach(function (frame) {
        var id = null;
        var type = 'message';
        var data = [];
        frame.split(/\r?\n/).forEach(function (line) {
          if (line.startsWith(':')) return; // a comment: the server's heartbeat
          var colon = line.indexOf(':');
          var field = colon < 0 ? line : line.slice(0, colon);
          var value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'id') id = value;
          else if (field === 'event') type = value;
          else if (field === 'data') data.push(value);
        });
        if (id !== null && /^\d+$/.test(id)) current.after = Number(id);
        if (data.length === 0) return;
        try {
          onEvent(type, JSON.parse(data.join('\n')));
        } catch (e) {
          /* a frame this page does not understand */
        }
      });
    }
  }

  function onEvent(type, event) {
    var data = (event && event.data) || {};
    if (type === 'message.created' || type === 'note.created') {
      var message = data.message || data.note;
      if (message && type === 'note.created' && !message.role) message.role = 'note';
      addMessage(message);
      if (message && message.role === 'visitor') loadQueue();
      return;
    }
    // While this page releases or closes the conversation, its own status events need no second look
    // (the conversation is about to leave this agent's reach).
    if (/^(conversation|sla)\./.test(type) && !(state.current && state.current.finishing)) {
      refreshConversation();
      loadQueue();
    }
  }

  async function refreshConversation() {
    var current = state.current;
    if (!current) return;
    try {
      var answer = await api('GET', '/v1/conversations/' + enc(current.id));
      if (state.current !== current) return;
      current.conversation = answer.conversation;
      renderMeta();
      if (current.conversation.status === 'closed') noLongerOpen('This conversation is closed.');
    } catch (e) {
      if (e.status === 404 && state.current === current) noLongerOpen('This conversation is no longer in your inbox.');
    }
  }

  /** The conversation stays on screen, read-only, with why. */
  function noLongerOpen(why) {
    var current = state.current;
    if (!current) return;
    current.ended = true;
    current.abort.abort();
    setComposer(false);
    $('claim-open').hidden = true;
    $('conversation-meta').textContent = why;
  }

  async function send(kind) {
    var current = state.current;
    if (!current) return;
    var text = $('composer-text').value.trim();
    var error = errorIn($('composer'));
    if (!text) return showError(error, { code: 'validation_failed', message: kind === 'note' ? 'Write the note first.' : 'Write a reply first.' });
    setComposer(false);
    try {
      var answer = kind === 'note'
        ? await api('POST', '/v1/conversations/' + enc(current.id) + '/notes', { note: { type: 'text', text: text } })
        : await api('POST', '/v1/conversations/' + enc(current.id) + '/agent-messages', { message: { type: 'text', text: text } });
      var message = answer && (answer.message || answer.note);
      if (message && kind === 'note' && !message.role) message.role = 'note';
      addMessage(message);
      $('composer-text').value = '';
      showError(error, null);
      loadQueue();
    } catch (e) {
      showError(error, e);
    } finally {
      if (state.current === current && !current.ended) setComposer(true);
      $('composer-text').focus();
    }
  }

  /** Release or close: the conversation leaves this agent's inbox. */
  async function finish(action) {
    var current = state.current;
    if (!current) return;
    var error = errorIn($('composer'));
    setComposer(false);
    current.finishing = true;
    try {
      await api('POST', '/v1/conversations/' + enc(current.id) + '/' + action, {});
      showError(error, null);
      noLongerOpen(action === 'release' ? 'Released to the bot.' : 'Closed.');
      loadQueue();
      $('conversation-title').focus();
    } catch (e) {
      current.finishing = false;
      showError(error, e);
      if (state.current === current && !current.ended) setComposer(true);
    }
  }

  // ---- start --------------------------------------------------------------------------------------

  function showInvite() {
    var invite = readInvite();
    if (!invite) return false;
    if (state.session) {
      // An invite link opened in a signed-in tab is someone's new account: end this session first.
      api('POST', '/v1/agent-auth/logout', {}).catch(function () {});
      endSession(null);
    }
    state.invite = invite;
    screen('invite');
    $('invite-password').focus();
    return true;
  }

  function boot() {
    $('invite-form').addEventListener('submit', submitInvite);
    $('login-form').addEventListener('submit', submitLogin);
    $('sign-out').addEventListener('click', signOut);
    $('login-email').addEventListener('input', function () {
      $('login-account-block').hidden = true; // another email: its accounts are asked for again
    });
    $('availability').addEventListener('change', setAvailability);
    $('composer').addEventListener('submit', function (event) {
      event.preventDefault();
      send('reply');
    });
    // Ctrl+Enter (or Cmd+Enter) sends the reply; Enter alone is a new line.
    $('composer-text').addEventListener('keydown', function (event) {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        send('reply');
      }
    });
    $('add-note').addEventListener('click', function () {
      send('note');
    });
    $('release').addEventListener('click', function () {
      finish('release');
    });
    $('close').addEventListener('click', function () {
      finish('close');
    });
    $('claim-open').addEventListener('click', function () {
      if (state.current) claimConversation(state.current.id);
    });
    window.addEventListener('hashchange', showInvite);

    if (showInvite()) return;
    if (storedRefresh()) {
      refreshSession().then(function (ok) {
        if (ok) startApp(null);
      });
      return;
    }
    screen('login');
    $('login-email').focus();
  }

  boot();
})();
