// Checkout: shows what is bought and the escrow promise, then pays through the operator's provider's
// own page (the sandbox's, or a 易支付 site's), which sends the buyer back here (?returned=1) and on to
// the live order page.
(function () {
  'use strict';
  var K = window.Keyhold;
  var PAYING = 'keyhold.paying.';
  var session = null;
  var reliability = null;

  function sessionId() {
    var match = window.location.pathname.match(/^\/checkout\/(cs_[a-z2-7]{24})$/);
    return match ? match[1] : null;
  }

  function status(text, tone) {
    var node = document.getElementById('status');
    node.textContent = text;
    node.className = 'status' + (tone ? ' ' + tone : '');
  }

  function orderUrl() {
    return '/orders/' + encodeURIComponent(session.order_id) + '?t=' + encodeURIComponent(session.order_token)
      + '&lang=' + encodeURIComponent(K.lang());
  }

  function render() {
    if (!session) {
      return;
    }
    document.getElementById('shop').textContent = session.merchant ? session.merchant.name : '';
    document.getElementById('product').textContent = session.sku ? session.sku.name : '';
    document.getElementById('quantity').textContent = String(session.quantity);
    document.getElementById('unit-price').textContent = K.money(session.unit_price);
    document.getElementById('total').textContent = K.money(session.total);
    var seconds = session.deliver_within_seconds || 0;
    // The delivery deadline starts when the payment arrives; from now it is the latest it can be.
    var refundBy = new Date(Date.now() + seconds * 1000).toISOString();
    document.getElementById('promise-late').textContent = K.t('checkout.promiseLate', {
      time: K.time(refundBy),
      minutes: K.duration(seconds * 1000)
    });
    document.getElementById('pay-by').textContent = session.pay_by ? K.t('checkout.payBy', { time: K.time(session.pay_by) }) : '';
    document.getElementById('pay').textContent = K.t('checkout.pay', { amount: K.money(session.total) });
    document.getElementById('to-order').setAttribute('href', orderUrl());
    document.getElementById('summary').hidden = false;
    document.getElementById('promise').hidden = false;
  }

  function percent(rate) {
    return new Intl.NumberFormat(K.lang(), { style: 'percent', maximumFractionDigits: 1 }).format(rate);
  }

  function elapsed(ms) {
    return ms < 1000 ? K.t('score.ms', { n: ms }) : K.duration(ms);
  }

  // A rate with its sample: "96% (24 of 25 keys)", or "none yet" without a sample.
  function part(key, rate, n, total) {
    return total > 0 ? K.t(key, { rate: percent(rate), n: n, total: total }) : K.t('score.noSample');
  }

  // The shop's record over the last days, before the buyer pays: the score and every part with its sample size.
  function renderReliability() {
    var card = document.getElementById('reliability');
    if (!reliability) {
      card.hidden = true;
      return;
    }
    var r = reliability;
    var value = document.getElementById('score-value');
    var note = document.getElementById('score-note');
    if (r.score === null || r.score === undefined) {
      value.textContent = K.t('score.none');
      value.className = 'score-value none';
      note.textContent = K.t('score.notEnough', { min: r.deliveries_min, n: r.delivery.sample });
    } else {
      value.textContent = K.t('score.outOf', { score: r.score });
      value.className = 'score-value ' + (r.score >= 90 ? 'good' : r.score >= 70 ? 'fair' : 'poor');
      note.textContent = '';
    }
    var d = r.delivery;
    var rows = [
      ['score.onTime', part('score.ofKeys', d.on_time_rate, d.on_time, d.sample)],
      ['score.deliveryTime', d.median_ms === null ? K.t('score.noSample')
        : K.t('score.deliveryTimeValue', { median: elapsed(d.median_ms), p95: elapsed(d.p95_ms) })],
      ['score.invalid', part('score.ofChecked', r.keys.invalid_rate, r.keys.invalid, r.keys.sample)],
      ['score.resupply', part('score.ofReplacements', r.resupplies.success_rate, r.resupplies.succeeded,
        r.resupplies.sample)],
      ['score.refunds', part('score.ofOrders', r.orders.refund_rate, r.orders.refunded, r.orders.sample)],
      ['score.disputes', r.disputes.decided > 0
        ? K.t('score.ofDisputes', { n: r.disputes.lost, total: r.disputes.decided }) : K.t('score.noSample')]
    ];
    var list = document.getElementById('score-parts');
    K.clear(list);
    rows.forEach(function (row) {
      list.appendChild(K.el('dt', { text: K.t(row[0]) }));
      list.appendChild(K.el('dd', { text: row[1] }));
    });
    document.getElementById('score-window').textContent = K.t('score.window', { days: r.window_days, from: r.from,
      to: r.to });
    card.hidden = false;
  }

  function loadReliability() {
    if (!session.merchant || !session.merchant.id) {
      return;
    }
    fetch('/v1/merchants/' + encodeURIComponent(session.merchant.id) + '/reliability',
      { headers: { 'Accept': 'application/json' } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        reliability = body;
        renderReliability();
      })
      // The record is for the buyer's information; without it the checkout goes on.
      .catch(function () { reliability = null; renderReliability(); });
  }

  function showPayable() {
    status(K.t('state.awaiting_payment'));
    document.getElementById('pay-card').hidden = false;
  }

  function startPayment(withReturn) {
    // The gateway pays through the operator's checkout provider (the sandbox, or a 易支付 site) for the order's total.
    var body = { order_id: session.order_id, order_token: session.order_token };
    if (withReturn) {
      body.return_url = '/checkout/' + session.id + '?returned=1';
    }
    return fetch('/v1/payments/start', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (json) {
        var refusedReturn = response.status === 400 && json && (json.errors || []).some(function (error) {
          return error.field === '/return_url';
        });
        if (withReturn && refusedReturn) {
          // A provider without return links: the buyer comes back with the browser's back button,
          // and the mark below sends them on to the order page.
          return startPayment(false);
        }
        if (!response.ok || !json.pay_url) {
          throw new Error(json && json.code ? json.code : 'payment');
        }
        return json;
      });
    });
  }

  function pay() {
    var button = document.getElementById('pay');
    button.disabled = true;
    status(K.t('checkout.paying'));
    startPayment(true).then(function (payment) {
      try {
        window.sessionStorage.setItem(PAYING + session.id, '1');
      } catch (e) {
        // Without storage the buyer follows the provider's return link or the order link instead.
      }
      window.location.assign(payment.pay_url);
    }).catch(function () {
      button.disabled = false;
      status(K.t('common.error'), 'bad');
    });
  }

  function payingStarted() {
    try {
      return window.sessionStorage.getItem(PAYING + session.id) === '1';
    } catch (e) {
      return false;
    }
  }

  function load() {
    var id = sessionId();
    if (!id) {
      status(K.t('common.linkInvalid'), 'bad');
      return;
    }
    fetch('/v1/checkout-sessions/' + id, { headers: { 'Accept': 'application/json' } })
      .then(function (response) {
        if (response.status === 404) {
          status(K.t('common.linkInvalid'), 'bad');
          return null;
        }
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (body) {
        if (!body) {
          return;
        }
        session = body;
        render();
        var returned = K.queryParam('returned') === '1' || payingStarted();
        if (returned || (session.state && session.state !== 'awaiting_payment' && session.state !== 'expired')) {
          try {
            // Once: if that payment was abandoned, opening the checkout link again offers to pay again.
            window.sessionStorage.removeItem(PAYING + session.id);
          } catch (e) {
            // Nothing stored, nothing to forget.
          }
          status(K.t('checkout.alreadyPaid'), 'ok');
          document.getElementById('to-order-wrap').hidden = false;
          window.location.replace(orderUrl());
          return;
        }
        if (session.state === 'expired') {
          status(K.t('checkout.expired'), 'bad');
          return;
        }
        loadReliability();
        showPayable();
      })
      .catch(function () { status(K.t('common.error'), 'bad'); });
  }

  // Coming back with the browser's back button may restore this page from the cache: read it again.
  window.addEventListener('pageshow', function (event) {
    if (event.persisted) {
      load();
    }
  });

  document.addEventListener('DOMContentLoaded', function () {
    document.getElementById('pay').addEventListener('click', pay);
    K.onLangChange(function () {
      render();
      renderReliability();
      if (session && !document.getElementById('pay-card').hidden) {
        showPayable();
      }
    });
    load();
  });
})();
