// The printable evidence page: renders the signed bundle of GET /v1/buyer/orders/{id}/evidence as
// tables (fingerprints and references only; a bundle never holds a key) with its signature.
(function () {
  'use strict';
  var K = window.Keyhold;
  var orderId = null;
  var token = null;
  var signed = null;

  function $(id) {
    return document.getElementById(id);
  }

  function status(text, tone) {
    var node = $('status');
    node.textContent = text;
    node.className = 'status' + (tone ? ' ' + tone : '');
  }

  function section(titleKey, content) {
    return K.el('section', { className: 'card' }, [K.el('h2', { text: K.t(titleKey) }), content]);
  }

  function table(headerKeys, rows) {
    if (!rows.length) {
      return K.el('p', { className: 'note', text: K.t('ev.none') });
    }
    var head = K.el('tr', {}, headerKeys.map(function (key) { return K.el('th', { scope: 'col', text: K.t(key) }); }));
    // Each cell carries its column's name, so narrow screens can show a row as a labelled block.
    var body = rows.map(function (cells) {
      return K.el('tr', {}, cells.map(function (cell, index) {
        var label = K.t(headerKeys[index]);
        if (cell && cell.mono) {
          return K.el('td', { className: 'mono', 'data-label': label, text: cell.mono });
        }
        if (cell && cell.nowrap) {
          return K.el('td', { className: 'nowrap', 'data-label': label, text: cell.nowrap });
        }
        return K.el('td', { 'data-label': label, text: cell === null || cell === undefined ? '' : String(cell) });
      }));
    });
    return K.el('div', { className: 'table-wrap' }, [K.el('table', {}, [K.el('thead', {}, [head]), K.el('tbody', {}, body)])]);
  }

  function facts(pairs) {
    var list = K.el('dl', { className: 'facts' });
    pairs.forEach(function (pair) {
      list.appendChild(K.el('dt', { text: pair[0] }));
      list.appendChild(K.el('dd', { text: pair[1] || '—' }));
    });
    return list;
  }

  // One block per event: long details and hashes wrap across the page instead of stretching a table.
  function events(list) {
    if (!list.length) {
      return K.el('p', { className: 'note', text: K.t('ev.none') });
    }
    return K.el('ol', { className: 'events' }, list.map(function (e) {
      return K.el('li', {}, [
        K.el('p', { className: 'event-head' }, [
          K.el('strong', { text: '#' + e.seq + ' ' + e.type }),
          K.el('span', { className: 'note', text: ' · ' + K.time(e.at) })
        ]),
        K.el('p', { className: 'event-details', text: details(e.details) }),
        K.el('p', { className: 'mono event-hash', text: K.t('ev.col.hash') + ' ' + e.hash }),
        K.el('p', { className: 'mono event-hash', text: 'prev ' + e.prev_hash })
      ]);
    }));
  }

  function details(map) {
    return Object.keys(map || {}).map(function (name) { return name + '=' + map[name]; }).join(', ');
  }

  function render() {
    if (!signed) {
      return;
    }
    var b = signed.bundle;
    $('heading').textContent = K.t('ev.heading', { id: b.order.id });
    status(K.t('state.' + b.order.state), b.chain.intact ? 'ok' : 'bad');
    var content = $('content');
    K.clear(content);
    content.appendChild(section('ev.summary', facts([
      [K.t('common.shop'), b.merchant.name + ' (' + b.merchant.id + ')'],
      [K.t('common.product'), b.sku.name + ' (' + b.sku.id + ')'],
      [K.t('common.quantity'), String(b.order.quantity)],
      [K.t('common.unitPrice'), K.money(b.order.unit_price)],
      [K.t('common.total'), K.money(b.order.total)],
      [K.t('ev.state'), b.order.state],
      [K.t('ev.placed'), K.time(b.order.placed_at)],
      [K.t('ev.funded'), K.time(b.order.funded_at)],
      [K.t('ev.revealed'), K.time(b.order.revealed_at)]
    ])));
    var deadlines = Object.keys(b.deadlines).filter(function (name) { return b.deadlines[name]; })
      .map(function (name) { return [name, K.time(b.deadlines[name])]; });
    content.appendChild(section('ev.deadlines', table(['ev.col.name', 'ev.col.time'], deadlines)));
    content.appendChild(section('ev.payments', table(['ev.col.provider', 'ev.col.reference', 'ev.col.amount', 'ev.col.use', 'ev.col.time'],
      b.payments.map(function (p) { return [p.provider, { mono: p.provider_txn_id }, { nowrap: K.money(p.amount) }, p.use, { nowrap: K.time(p.received_at) }]; }))));
    content.appendChild(section('ev.deliveries', table(['ev.col.unit', 'ev.col.fingerprint', 'ev.col.source', 'ev.col.time'],
      b.deliveries.map(function (d) { return [d.unit + 1, { mono: d.key_fingerprint }, d.source + (d.duplicate ? ' (duplicate)' : ''), { nowrap: K.time(d.delivered_at) }]; }))));
    content.appendChild(section('ev.validations', table(['ev.col.unit', 'ev.col.verdict', 'ev.col.fingerprint', 'ev.col.time'],
      b.validations.map(function (v) { return [v.unit + 1, v.verdict, { mono: v.key_fingerprint }, { nowrap: K.time(v.at) }]; }))));
    content.appendChild(section('ev.refunds', table(['ev.col.amount', 'ev.col.reason', 'ev.col.provider', 'ev.col.time'],
      b.refunds.map(function (r) { return [{ nowrap: K.money(r.amount) }, r.reason, r.provider, { nowrap: K.time(r.at) }]; }))));
    content.appendChild(section('ev.ledger', table(['ev.col.account', 'ev.col.amount', 'ev.col.reference', 'ev.col.time'],
      b.ledger.map(function (l) { return [{ mono: l.account }, { nowrap: K.money(l.amount) }, { mono: l.txn_id }, { nowrap: K.time(l.at) }]; }))));
    content.appendChild(section('ev.events', events(b.events)));
    content.appendChild(section('ev.chain', K.el('p', {
      text: b.chain.intact ? K.t('ev.chainIntact', { n: b.chain.length }) : K.t('ev.chainBroken', { problem: b.chain.problem })
    })));
    content.appendChild(section('ev.signature', K.el('div', {}, [
      facts([['algorithm', signed.algorithm], ['key_id', signed.key_id], ['generated_at', b.generated_at]]),
      K.el('p', { className: 'signature mono', text: signed.signature }),
      K.el('p', { className: 'note', text: K.t('ev.verifyHow', { key: signed.key_id }) })
    ])));
  }

  function load() {
    var match = window.location.pathname.match(/^\/orders\/(ord_[a-z2-7]{24})\/evidence$/);
    orderId = match ? match[1] : null;
    token = K.queryParam('t');
    if (!orderId || !token) {
      status(K.t('common.linkInvalid'), 'bad');
      return;
    }
    $('back').setAttribute('href', '/orders/' + orderId + '?t=' + encodeURIComponent(token) + '&lang=' + K.lang());
    fetch('/v1/buyer/orders/' + orderId + '/evidence', {
      headers: { 'Authorization': 'Bearer ' + token, 'Accept': 'application/json' }, cache: 'no-store'
    }).then(function (response) {
      if (!response.ok) {
        status(K.t(response.status === 404 || response.status === 401 ? 'common.linkInvalid' : 'common.error'), 'bad');
        return null;
      }
      return response.json();
    }).then(function (body) {
      if (body) {
        signed = body;
        render();
      }
    }).catch(function () { status(K.t('common.error'), 'bad'); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('print').addEventListener('click', function () { window.print(); });
    K.onLangChange(render);
    load();
  });
})();
