// Keyhold operator console (/ops): the dispute desk (evidence timeline with its signature checked, the statements,
// a decision per unit), the ledger audit with its invariants and totals, and creating merchants. Every change goes
// through the operator API and states the money it moves before it is sent.
(function () {
  'use strict';
  var K = window.Keyhold;
  var C = window.KeyholdConsole;
  var disputeList = null;
  var merchantList = null;
  // A fee shown as an example in the confirmation: what it takes from a 100.00 order.
  var FEE_EXAMPLE = { amount: 10000, currency: 'CNY' };
  var signedIn = false;

  function $(id) {
    return document.getElementById(id);
  }

  function start() {
    signedIn = true;
    $('who').textContent = K.t('signin.as', { who: K.t('ops.operator') });
    disputeList.load(false);
    loadAudit();
    merchantList.load(false);
  }

  function stop() {
    signedIn = false;
  }

  // ---- disputes

  function disputeView(dispute) {
    var order = dispute.order;
    var headingId = 'dispute-' + dispute.id;
    var view = K.el('article', { className: 'dispute', id: 'd-' + dispute.id, 'data-dispute': dispute.id,
      'aria-labelledby': headingId });
    view.appendChild(K.el('h3', { id: headingId, text: dispute.order_id + ' · ' + K.money(order.total) }));
    var facts = K.el('dl', { className: 'facts' });
    [[K.t('common.shop'), dispute.merchant_id], [K.t('common.state'), C.badge(order.state)],
      [K.t('disputes.reason'), K.t('dispute.' + dispute.reason)], [K.t('disputes.statement'), dispute.text || '—'],
      [K.t('disputes.shopStatement'), K.t('disputes.noShopStatement')]].forEach(function (fact) {
      facts.appendChild(K.el('dt', { text: fact[0] }));
      facts.appendChild(K.el('dd', {}, [fact[1]]));
    });
    view.appendChild(facts);
    var timeline = K.el('div', { className: 'timeline-box' }, [K.el('p', { className: 'note', text: K.t('common.loading') })]);
    view.appendChild(K.el('h4', { className: 'h4', text: K.t('disputes.timeline') }));
    view.appendChild(timeline);
    loadEvidence(dispute.order_id, timeline);

    var form = K.el('form', { className: 'decision', novalidate: 'novalidate' });
    order.units.forEach(function (unit) {
      var name = 'award-' + dispute.id + '-' + unit.index;
      var legendText = K.t('disputes.award', { n: unit.index + 1 }) + ' ('
        + K.t('disputes.unitState', { state: K.t('ustate.' + unit.state) }) + ')';
      form.appendChild(K.el('fieldset', {}, [
        K.el('legend', { text: legendText }),
        choice(name, 'release', K.t('disputes.release'), unit.index),
        choice(name, 'refund', K.t('disputes.refund'), unit.index)
      ]));
    });
    var error = K.el('p', { className: 'error', role: 'alert' });
    form.appendChild(error);
    form.appendChild(K.el('button', { type: 'submit', className: 'button', 'data-decide': dispute.id,
      text: K.t('disputes.decide') }));
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      decide(dispute, form, error);
    });
    view.appendChild(form);
    return view;
  }

  function choice(name, value, label, index) {
    var id = name + '-' + value;
    return K.el('label', { className: 'choice', 'for': id }, [
      K.el('input', { type: 'radio', id: id, name: name, value: value, 'data-unit': String(index) }), label
    ]);
  }

  function loadEvidence(orderId, box) {
    C.api('GET', '/admin/v1/orders/' + encodeURIComponent(orderId) + '/evidence').then(function (answer) {
      K.clear(box);
      if (answer.status !== 200) {
        box.appendChild(K.el('p', { className: 'error', text: C.problemText(answer.json) }));
        return;
      }
      var signed = answer.json.evidence;
      box.appendChild(K.el('p', { className: answer.json.verified ? 'verified' : 'error', 'data-verified': String(answer.json.verified),
        text: K.t('disputes.signature') + ': ' + signed.algorithm + ' ' + signed.key_id + ' — '
          + K.t(answer.json.verified ? 'disputes.verified' : 'disputes.notVerified') }));
      var list = K.el('ol', { className: 'events' });
      signed.bundle.events.forEach(function (e) {
        list.appendChild(K.el('li', {}, [
          K.el('strong', { text: '#' + e.seq + ' ' + e.type }),
          K.el('span', { className: 'note', text: ' · ' + K.time(e.at) })
        ]));
      });
      box.appendChild(list);
    });
  }

  // Reads one award per unit, says what money goes where, and only then sends the decision.
  function decide(dispute, form, error) {
    error.textContent = '';
    var units = [];
    var missing = null;
    dispute.order.units.forEach(function (unit) {
      var picked = form.querySelector('input[data-unit="' + unit.index + '"]:checked');
      if (!picked) {
        missing = missing || form.querySelector('input[data-unit="' + unit.index + '"]');
        return;
      }
      units.push({ index: unit.index, award: picked.value });
    });
    if (missing) {
      error.textContent = K.t('disputes.award', { n: Number(missing.getAttribute('data-unit')) + 1 }) + ' ?';
      missing.focus();
      return;
    }
    var price = dispute.order.unit_price;
    var refunds = units.filter(function (u) { return u.award === 'refund'; }).length;
    var releases = units.length - refunds;
    var text = K.t('disputes.confirm', {
      refund: K.money({ amount: price.amount * refunds, currency: price.currency }), refundUnits: refunds,
      release: K.money({ amount: price.amount * releases, currency: price.currency }), releaseUnits: releases
    });
    C.confirm(text).then(function (yes) {
      if (!yes) {
        return;
      }
      C.api('POST', '/admin/v1/disputes/' + encodeURIComponent(dispute.id) + '/decision',
          { award: 'split', units: units }).then(function (answer) {
        if (answer.status !== 200) {
          error.textContent = C.problemText(answer.json);
          return;
        }
        C.say('disputes.decided', { award: units.map(function (u) {
          return K.t('disputes.unit', { n: u.index + 1 }) + ' ' + K.t('disputes.' + u.award);
        }).join(', ') });
        disputeList.load(false);
        loadAudit();
      });
    });
  }

  // ---- audit

  // The server names its invariants in English; a name without a translation here is shown as the server says it.
  function translatedInvariant(invariant) {
    var key = 'inv.' + invariant.id;
    var text = K.t(key);
    return text === key || K.lang() === 'en' ? invariant.name : text;
  }

  var TOTALS = ['payments_in', 'released', 'fees', 'refunds', 'held_in_escrow'];

  function loadAudit() {
    loadOperations();
    return C.api('GET', '/admin/v1/audit').then(function (answer) {
      if (answer.status !== 200) {
        return;
      }
      var audit = answer.json;
      var failed = audit.invariants.filter(function (i) { return !i.ok; });
      var status = $('audit-status');
      status.className = 'status ' + (audit.ok ? 'ok' : 'bad');
      status.textContent = audit.ok ? K.t('audit.ok') : K.t('audit.bad', { n: failed.length });
      $('audit-meta').textContent = K.t('audit.checkedAt', { time: K.time(audit.checked_at) });
      var body = $('audit-totals-body');
      K.clear(body);
      var byCurrency = audit.totals.by_currency || {};
      Object.keys(byCurrency).forEach(function (currency) {
        var totals = byCurrency[currency];
        var tr = K.el('tr', { 'data-currency': currency });
        tr.appendChild(C.cell(K.t('common.currency'), currency));
        TOTALS.forEach(function (name) {
          var td = C.cell(K.t('audit.' + name), K.money({ amount: totals[name], currency: currency }), 'nowrap');
          td.id = 'audit-' + currency + '-' + name;
          td.setAttribute('data-minor', String(totals[name]));
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      var list = $('audit-invariants');
      K.clear(list);
      audit.invariants.forEach(function (invariant) {
        var li = K.el('li', { className: invariant.ok ? '' : 'bad', 'data-invariant': String(invariant.id) },
          [(invariant.ok ? '✓ ' : '✗ ') + invariant.id + '. ' + translatedInvariant(invariant)
            + (invariant.ok ? '' : ' — ' + invariant.violation_count)]);
        if (!invariant.ok) {
          var violations = K.el('ul', {});
          invariant.violations.forEach(function (v) {
            violations.appendChild(K.el('li', { className: 'mono', text: JSON.stringify(v) }));
          });
          li.appendChild(violations);
        }
        list.appendChild(li);
      });
    });
  }

  // The open work: the outbox's backlog and how late the sweeper is, read with every audit.
  function loadOperations() {
    return C.api('GET', '/admin/v1/operations').then(function (answer) {
      if (answer.status !== 200) {
        return;
      }
      var figures = answer.json;
      var open = Object.keys(figures.open_by_state).map(function (state) {
        return K.t('ostate.' + state) + ' ' + figures.open_by_state[state];
      }).join(', ') || '0';
      var list = $('operations');
      K.clear(list);
      [K.t('ops.backlog', { n: figures.outbox_pending, age: K.duration(figures.outbox_oldest_seconds * 1000) }),
        K.t('audit.sweeperLag', { n: Math.round(figures.sweeper_lag_seconds) }),
        K.t('ops.open', { list: open })].forEach(function (line) {
        list.appendChild(K.el('li', { text: line }));
      });
    });
  }

  // ---- merchants

  function merchantParams() {
    var q = $('merchant-q').value.trim();
    return q ? { q: q } : {};
  }

  function merchantRow(merchant) {
    var tr = K.el('tr', { 'data-merchant': merchant.id, 'data-status': merchant.status });
    tr.appendChild(C.cell(K.t('merchants.name'), merchant.name));
    tr.appendChild(C.cell(K.t('common.state'), K.t('merchants.' + merchant.status)));
    tr.appendChild(C.cell(K.t('merchants.feeShort'), merchant.fee_basis_points));
    tr.appendChild(C.cell(K.t('common.id'), merchant.id, 'mono'));
    var suspend = merchant.status === 'active';
    var toggle = K.el('button', { type: 'button', className: 'button secondary small' + (suspend ? ' danger' : ''),
      text: K.t(suspend ? 'merchants.suspend' : 'merchants.reactivate') });
    toggle.addEventListener('click', function () {
      change(merchant, { status: suspend ? 'suspended' : 'active' },
        K.t(suspend ? 'merchants.confirmSuspend' : 'merchants.confirmReactivate', { name: merchant.name }));
    });
    var feeId = 'fee-' + merchant.id;
    var fee = K.el('input', { id: feeId, inputmode: 'numeric', className: 'fee-input', value: String(merchant.fee_basis_points),
      'aria-label': K.t('merchants.newFee', { name: merchant.name }) });
    var setFee = K.el('button', { type: 'button', className: 'button secondary small', text: K.t('merchants.setFee') });
    setFee.addEventListener('click', function () {
      var value = fee.value.trim();
      if (!/^\d+$/.test(value) || Number(value) > 10000) {
        $('merchants-error').textContent = K.t('merchants.fee');
        fee.focus();
        return;
      }
      var example = K.money(FEE_EXAMPLE);
      var exampleFee = K.money({ amount: Math.floor(FEE_EXAMPLE.amount * Number(value) / 10000), currency: FEE_EXAMPLE.currency });
      change(merchant, { fee_basis_points: Number(value) }, K.t('merchants.confirmFee', { name: merchant.name,
        old: merchant.fee_basis_points, fee: value, example: example, exampleFee: exampleFee }));
    });
    tr.appendChild(C.cell(K.t('merchants.actions'), K.el('div', { className: 'row actions' }, [toggle, fee, setFee])));
    return tr;
  }

  function change(merchant, settings, question) {
    $('merchants-error').textContent = '';
    C.confirm(question).then(function (yes) {
      if (!yes) {
        return;
      }
      C.api('POST', '/admin/v1/merchants/' + encodeURIComponent(merchant.id) + '/settings', settings).then(function (answer) {
        if (answer.status !== 200) {
          $('merchants-error').textContent = C.problemText(answer.json);
          return;
        }
        C.say('merchants.changed', { name: merchant.name });
        var row = document.querySelector('tr[data-merchant="' + merchant.id + '"]');
        if (row) {
          row.parentNode.replaceChild(merchantRow(answer.json), row);
        }
      });
    });
  }

  function createMerchant(event) {
    event.preventDefault();
    var error = $('merchant-error');
    error.textContent = '';
    var name = $('merchant-name').value.trim();
    var fee = $('merchant-fee').value.trim();
    if (!name || !/^\d+$/.test(fee) || Number(fee) > 10000) {
      error.textContent = K.t('merchants.fee') + ' / ' + K.t('merchants.name');
      return;
    }
    C.confirm(K.t('merchants.confirm', { name: name, fee: fee, percent: (Number(fee) / 100).toFixed(2) })).then(function (yes) {
      if (!yes) {
        return;
      }
      C.api('POST', '/admin/v1/merchants', { name: name, fee_basis_points: Number(fee) }).then(function (answer) {
        if (answer.status !== 201) {
          error.textContent = C.problemText(answer.json);
          return;
        }
        $('merchant-form').reset();
        $('merchant-created-text').textContent = K.t('merchants.created', { id: answer.json.id });
        $('merchant-api-key').textContent = answer.json.api_key;
        $('merchant-created').hidden = false;
        merchantList.load(false);
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    disputeList = C.pagedList({ path: '/admin/v1/disputes', params: function () { return { state: 'open' }; },
      body: 'disputes', row: disputeView, more: 'disputes-more', empty: 'disputes-empty' });
    merchantList = C.pagedList({ path: '/admin/v1/merchants', params: merchantParams, body: 'merchants-body',
      row: merchantRow, more: 'merchants-more' });
    $('audit-refresh').addEventListener('click', loadAudit);
    $('merchant-form').addEventListener('submit', createMerchant);
    $('merchant-search').addEventListener('submit', function (event) {
      event.preventDefault();
      merchantList.load(false);
    });
    K.onLangChange(function () {
      if (signedIn) {
        start();
      }
    });
    C.setUp({ sessionPath: '/ops/session', inputId: 'admin-token', field: 'admin_token', start: start, stop: stop });
  });
})();
