// The live order page: the order arrives from GET /v1/buyer/orders/{id}, then every change from the
// server-sent event stream (polling if the stream is refused). Keys are fetched only after the buyer
// reveals them, kept in memory only, and never put into a URL.
(function () {
  'use strict';
  var K = window.Keyhold;
  var POLL_MS = 5000;
  var TERMINAL = ['expired', 'released', 'refunded', 'partially_refunded'];

  var orderId = null;
  var token = null;
  var view = null;
  var keys = {};
  var clockOffsetMs = 0;
  var stream = null;
  var pollTimer = null;
  var keysRequested = false;
  var busy = false;

  function $(id) {
    return document.getElementById(id);
  }

  function readLocation() {
    var match = window.location.pathname.match(/^\/orders\/(ord_[a-z2-7]{24})$/);
    orderId = match ? match[1] : null;
    token = K.queryParam('t');
  }

  function status(text, tone) {
    var node = $('status');
    node.textContent = text;
    node.className = 'status' + (tone ? ' ' + tone : '');
  }

  function api(method, path, body) {
    var headers = { 'Authorization': 'Bearer ' + token, 'Accept': 'application/json' };
    var init = { method: method, headers: headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = (window.crypto && window.crypto.randomUUID) ? window.crypto.randomUUID()
        : String(Date.now()) + Math.random().toString(16).slice(2);
      init.body = JSON.stringify(body);
    }
    return fetch('/v1/buyer/orders/' + orderId + path, init).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (!response.ok) {
          var error = new Error(json.code || String(response.status));
          error.status = response.status;
          error.code = json.code;
          throw error;
        }
        return json;
      });
    });
  }

  // Keeps the newest view; keys that came with an answer are remembered for later pushes, which carry none.
  function accept(next) {
    if (!next || (view && next.version < view.version)) {
      return;
    }
    (next.units || []).forEach(function (unit) {
      if (unit.key) {
        keys[unit.index] = unit.key;
      }
    });
    if (next.server_time) {
      clockOffsetMs = new Date(next.server_time).getTime() - Date.now();
    }
    view = next;
    render();
    if (view.revealed_at && Object.keys(keys).length === 0 && hasVisibleKeys() && !keysRequested) {
      keysRequested = true;
      api('GET', '').then(accept).catch(function () { keysRequested = false; });
    }
  }

  function hasVisibleKeys() {
    return view.units.some(function (unit) { return unit.state === 'valid' || unit.state === 'released'; });
  }

  function render() {
    if (!view) {
      return;
    }
    document.body.setAttribute('data-state', view.state);
    var tone = { ready: 'ok', inspection: 'ok', released: 'ok', resupplying: 'warn', disputed: 'warn',
      refunded: 'warn', partially_refunded: 'warn', expired: 'bad' }[view.state] || '';
    status(K.t('state.' + view.state), tone);
    renderSummary();
    renderDeadline();
    renderKeys();
    renderActions();
    renderDispute();
    renderRefund();
    renderCompensation();
    renderTimeline();
    renderEvidence();
  }

  function renderSummary() {
    $('shop').textContent = view.merchant.name || view.merchant.id;
    $('product').textContent = view.sku.name || view.sku.id;
    $('quantity').textContent = String(view.quantity);
    $('total').textContent = K.money(view.total);
    $('order-id').textContent = view.id;
    $('summary').hidden = false;
  }

  function deadlineTarget() {
    var d = view.deadlines || {};
    switch (view.state) {
      case 'awaiting_payment': return d.pay_by;
      case 'funded': return d.deliver_by || view.next_action_at;
      case 'validating':
      case 'resupplying': return view.next_action_at;
      case 'ready': return d.hold_until;
      case 'inspection': return d.inspection_ends_at;
      default: return null;
    }
  }

  function renderDeadline() {
    var target = deadlineTarget();
    var card = $('deadline-card');
    if (!target) {
      card.hidden = true;
      return;
    }
    card.hidden = false;
    $('deadline-heading').textContent = K.t('deadline.' + view.state);
    $('deadline-at').textContent = K.t('deadline.at', { time: K.time(target) });
    var noteKey = 'deadline.' + view.state + '.note';
    var note = K.t(noteKey);
    $('deadline-note').textContent = note === noteKey ? '' : note;
    tick();
  }

  function tick() {
    var target = view && deadlineTarget();
    if (!target) {
      return;
    }
    var remaining = new Date(target).getTime() - (Date.now() + clockOffsetMs);
    $('countdown').textContent = remaining > 0 ? K.duration(remaining) : K.t('deadline.due');
  }

  function renderKeys() {
    var card = $('keys-card');
    var body = $('keys-body');
    K.clear(body);
    var closedUnseen = TERMINAL.indexOf(view.state) >= 0 && !view.revealed_at && !view.actions.reveal;
    if (view.state === 'awaiting_payment' || closedUnseen) {
      card.hidden = true;
      return;
    }
    card.hidden = false;
    $('keys-heading').textContent = K.t(view.quantity > 1 ? 'order.yourKeys' : 'order.yourKey');
    if (view.revealed_at) {
      var list = K.el('ul', { className: 'keys', id: 'keys' });
      view.units.forEach(function (unit) {
        var label = K.el('span', { className: 'label', text: K.t('keys.unit', { n: unit.index + 1 }) });
        var key = keys[unit.index];
        if (key) {
          var code = K.el('code', { className: 'key', id: 'key-' + unit.index, text: key });
          var copy = K.el('button', { type: 'button', className: 'button secondary copy', 'data-index': String(unit.index),
            'aria-label': K.t('keys.copy') + ' — ' + K.t('keys.unit', { n: unit.index + 1 }), text: K.t('keys.copy') });
          copy.addEventListener('click', function () { copyKey(unit.index); });
          list.appendChild(K.el('li', {}, [label, code, copy]));
        } else {
          list.appendChild(K.el('li', {}, [label, K.el('span', { className: 'unit-state', text: unitState(unit.state) })]));
        }
      });
      body.appendChild(list);
      return;
    }
    if (view.actions.reveal) {
      body.appendChild(K.el('div', { className: 'sealed' }, [
        K.el('img', { className: 'lock', src: '/assets/logo.svg', alt: '' }),
        K.el('p', { text: K.t('keys.sealed') })
      ]));
      var reveal = K.el('button', { type: 'button', className: 'button wide', id: 'reveal',
        text: K.t(view.quantity > 1 ? 'keys.revealMany' : 'keys.reveal') });
      reveal.addEventListener('click', function () { act('/reveal', {}, reveal); });
      body.appendChild(reveal);
      return;
    }
    body.appendChild(K.el('p', { text: K.t('keys.waiting') }));
    if (view.quantity > 1 || view.units.some(function (u) { return u.state !== 'pending'; })) {
      var states = K.el('ul', { className: 'keys' });
      view.units.forEach(function (unit) {
        states.appendChild(K.el('li', {}, [
          K.el('span', { className: 'label', text: K.t('keys.unit', { n: unit.index + 1 }) }),
          K.el('span', { className: 'unit-state', text: unitState(unit.state) })
        ]));
      });
      body.appendChild(states);
    }
  }

  function unitState(code) {
    var key = 'keys.unitState.' + code;
    var text = K.t(key);
    return text === key ? code : text;
  }

  function copyKey(index) {
    var key = keys[index];
    var done = function () { $('copy-status').textContent = K.t('keys.copied', { n: index + 1 }); };
    var fallback = function () {
      var area = document.createElement('textarea');
      area.value = key;
      area.setAttribute('readonly', '');
      area.style.position = 'fixed';
      area.style.opacity = '0';
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try {
        ok = document.execCommand('copy');
      } catch (e) {
        ok = false;
      }
      document.body.removeChild(area);
      if (ok) {
        done();
      } else {
        $('copy-status').textContent = K.t('keys.copyFailed');
      }
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(key).then(done, fallback);
    } else {
      fallback();
    }
  }

  function renderActions() {
    var actions = view.actions || {};
    $('confirm-box').hidden = !actions.confirm;
    $('cancel-box').hidden = !actions.cancel;
    if (!actions.cancel) {
      $('cancel-sure').hidden = true;
    }
    var any = actions.confirm || actions.cancel || actions.reveal || actions.dispute;
    $('actions-none').hidden = any || TERMINAL.indexOf(view.state) >= 0;
    $('actions-card').hidden = !(actions.confirm || actions.cancel) && $('actions-none').hidden;
  }

  function renderDispute() {
    $('dispute-card').hidden = !(view.actions && view.actions.dispute);
    var dispute = view.dispute;
    $('dispute-status-card').hidden = !dispute;
    if (dispute) {
      var text = K.t('dispute.opened', { time: K.time(dispute.opened_at), reason: K.t('dispute.' + dispute.reason) });
      if (dispute.decided_at) {
        text += ' ' + K.t('dispute.decided', { time: K.time(dispute.decided_at) });
      }
      $('dispute-status').textContent = text;
    }
  }

  function renderRefund() {
    var refunded = view.refunded && view.refunded.amount > 0;
    $('refund-card').hidden = !refunded;
    if (!refunded) {
      return;
    }
    $('refund-amount').textContent = K.t('refund.amount', { amount: K.money(view.refunded) });
    $('refund-status').textContent = K.t(view.refund_status === 'sent' ? 'refund.sent' : 'refund.pending');
    var released = view.released && view.released.amount > 0;
    $('released-amount').textContent = released ? K.t('released.amount', { amount: K.money(view.released) }) : '';
  }

  // What the shop's deposit paid the buyer for deadlines it missed, and what it still owes (docs/money.md).
  function renderCompensation() {
    var compensation = view.compensation;
    var paid = compensation && compensation.paid.amount > 0;
    var unpaid = compensation && compensation.unpaid.amount > 0;
    $('compensation-card').hidden = !paid && !unpaid;
    if (!paid && !unpaid) {
      return;
    }
    $('compensation-paid').textContent = K.t('compensation.paid', { amount: K.money(compensation.paid) });
    $('compensation-unpaid').textContent = unpaid
      ? K.t('compensation.unpaid', { amount: K.money(compensation.unpaid) }) : '';
  }

  function firstAt(type) {
    for (var i = 0; i < view.timeline.length; i++) {
      if (view.timeline[i].type === type) {
        return view.timeline[i].at;
      }
    }
    return null;
  }

  function lastAt(type) {
    var at = null;
    view.timeline.forEach(function (entry) {
      if (entry.type === type) {
        at = entry.at;
      }
    });
    return at;
  }

  // The steps a buyer follows: paid, delivered, checked, ready, revealed, released; a resupply, a
  // dispute, a cancellation or a refund change the path. Steps that can no longer happen are dropped.
  function steps() {
    if (view.state === 'expired') {
      return [{ id: 'expired', at: firstAt('order.expired'), done: true, tone: 'refund' }];
    }
    var list = [
      { id: 'paid', at: firstAt('order.funded') },
      { id: 'delivered', at: firstAt('keys.delivered') },
      { id: 'checked', at: lastAt('unit.checked') }
    ];
    if (firstAt('resupply.requested')) {
      list.push({ id: 'resupplying', at: lastAt('resupply.requested'), tone: 'alert',
        done: view.state !== 'resupplying' });
    }
    if (firstAt('order.units_refunded')) {
      // Units that could not be fulfilled were refunded; the valid ones stay sealed for the buyer.
      list.push({ id: 'units_refunded', at: firstAt('order.units_refunded'), tone: 'refund', done: true });
    }
    list.push({ id: 'ready', at: firstAt('order.ready') });
    list.push({ id: 'revealed', at: firstAt('order.revealed') });
    if (view.dispute) {
      list.push({ id: 'disputed', at: view.dispute.opened_at, tone: 'alert', done: true });
      if (view.dispute.decided_at) {
        list.push({ id: 'decided', at: view.dispute.decided_at, done: true });
      }
    }
    var closing = null;
    if (firstAt('order.cancelled')) {
      list.push({ id: 'cancelled', at: firstAt('order.cancelled'), done: true });
    }
    if (view.state === 'refunded') {
      closing = { id: 'refunded', at: firstAt('order.refunded'), done: true, tone: 'refund' };
    } else if (view.state === 'partially_refunded') {
      closing = { id: 'partially_refunded', at: firstAt('order.partially_refunded'), done: true, tone: 'refund' };
    } else {
      closing = { id: 'released', at: firstAt('order.released') };
    }
    list.push(closing);
    list.forEach(function (step) {
      if (step.done === undefined) {
        step.done = !!step.at;
      }
    });
    if (TERMINAL.indexOf(view.state) >= 0) {
      list = list.filter(function (step) { return step.done; });
    } else {
      for (var i = 0; i < list.length; i++) {
        if (!list[i].done) {
          list[i].current = true;
          break;
        }
      }
    }
    return list;
  }

  function renderTimeline() {
    var list = $('timeline');
    K.clear(list);
    steps().forEach(function (step) {
      var classes = [step.done ? 'done' : step.current ? 'current' : 'todo'];
      if (step.tone) {
        classes.push(step.tone);
      }
      var state = K.t(step.done ? 'step.done' : step.current ? 'step.current' : 'step.todo');
      var item = K.el('li', { className: classes.join(' '), 'data-step': step.id }, [
        K.el('span', { text: K.t('step.' + step.id) }),
        K.el('span', { className: 'sr-only', text: ' (' + state + ')' }),
        step.at ? K.el('span', { className: 'when', text: K.time(step.at) }) : null
      ]);
      if (step.current) {
        item.setAttribute('aria-current', 'step');
      }
      list.appendChild(item);
    });
  }

  function renderEvidence() {
    $('evidence-card').hidden = false;
    var query = '?t=' + encodeURIComponent(token);
    $('evidence-download').setAttribute('href', '/v1/buyer/orders/' + orderId + '/evidence' + query + '&download=1');
    $('evidence-print').setAttribute('href', '/orders/' + orderId + '/evidence' + query + '&lang=' + K.lang());
  }

  function act(path, body, button) {
    if (busy) {
      return;
    }
    busy = true;
    if (button) {
      button.disabled = true;
    }
    api('POST', path, body).then(function (next) {
      accept(next);
    }).catch(function () {
      status(K.t('common.error'), 'bad');
      return api('GET', '').then(accept, function () {});
    }).then(function () {
      busy = false;
      if (button) {
        button.disabled = false;
      }
    });
  }

  function live(textKey, on) {
    var node = $('live');
    node.hidden = false;
    node.textContent = K.t(textKey);
    node.className = 'live' + (on ? '' : ' off');
    node.setAttribute('data-live', textKey);
  }

  function poll() {
    if (pollTimer) {
      return;
    }
    live('order.polling', false);
    pollTimer = window.setInterval(function () {
      api('GET', '').then(accept, function () {});
    }, POLL_MS);
  }

  function connect() {
    if (!window.EventSource) {
      poll();
      return;
    }
    stream = new EventSource('/v1/buyer/orders/' + orderId + '/events?t=' + encodeURIComponent(token));
    stream.addEventListener('open', function () { live('order.live', true); });
    stream.addEventListener('order', function (event) {
      try {
        accept(JSON.parse(event.data));
      } catch (e) {
        // A malformed event is skipped; the next one carries the whole order again.
      }
    });
    stream.addEventListener('error', function () {
      if (stream.readyState === EventSource.CLOSED) {
        poll();
      } else {
        live('order.reconnecting', false);
      }
    });
  }

  function load() {
    readLocation();
    if (!orderId || !token) {
      status(K.t('common.linkInvalid'), 'bad');
      return;
    }
    api('GET', '').then(function (first) {
      accept(first);
      connect();
    }).catch(function (error) {
      status(K.t(error.status === 404 || error.status === 401 ? 'common.linkInvalid' : 'common.error'), 'bad');
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('confirm').addEventListener('click', function () { act('/confirm', {}, $('confirm')); });
    $('cancel').addEventListener('click', function () { $('cancel-sure').hidden = false; $('cancel-yes').focus(); });
    $('cancel-no').addEventListener('click', function () { $('cancel-sure').hidden = true; $('cancel').focus(); });
    $('cancel-yes').addEventListener('click', function () { act('/cancel', {}, $('cancel-yes')); });
    $('dispute-form').addEventListener('submit', function (event) {
      event.preventDefault();
      act('/disputes', { reason: $('dispute-reason').value, text: $('dispute-text').value }, $('dispute-submit'));
    });
    K.onLangChange(function () {
      render();
      if (pollTimer) {
        live('order.polling', false);
      } else if (stream && stream.readyState === EventSource.OPEN) {
        live('order.live', true);
      }
    });
    window.setInterval(tick, 1000);
    load();
  });
})();
