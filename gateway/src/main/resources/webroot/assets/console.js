// Keyhold shop console (/console): SKUs, stock upload with a result per line, orders with a live view of the open
// ones, deposit and reliability score. Every change goes through the merchant API, as a script with the key would.
(function () {
  'use strict';
  var K = window.Keyhold;
  var C = window.KeyholdConsole;
  // The live view asks again this often; an order's state rarely changes faster than a buyer acts.
  var LIVE_INTERVAL_MS = 2000;
  var POLICY_FIELDS = ['pay_within_seconds', 'deliver_within_seconds', 'inspection_window_seconds', 'max_resupply_attempts'];
  var session = null;
  var skus = [];
  var skuList = null;
  var orderList = null;
  var webhookList = null;
  var liveTimer = null;
  // The last upload's outcome per line (numbers and results only, never the keys), shown again in a new language.
  var lastResults = null;

  function $(id) {
    return document.getElementById(id);
  }

  function start(current) {
    session = current;
    $('who').textContent = K.t('signin.as', { who: current.merchant_id });
    skuList.load(false);
    orderList.load(false);
    loadDeposit();
    loadHealth();
    startLive();
  }

  function stop() {
    session = null;
    if (liveTimer) {
      window.clearInterval(liveTimer);
      liveTimer = null;
    }
  }

  // ---- SKUs

  function policySummary(policy) {
    return K.t('policy.summary', {
      pay: K.duration(policy.pay_within_seconds * 1000),
      deliver: K.duration(policy.deliver_within_seconds * 1000),
      inspect: K.duration(policy.inspection_window_seconds * 1000)
    });
  }

  function skuRow(sku) {
    var stock = sku.stock || { available: 0, reserved: 0, delivered: 0 };
    var tr = K.el('tr', { 'data-sku': sku.id });
    tr.appendChild(C.cell(K.t('common.name'), sku.name));
    tr.appendChild(C.cell(K.t('common.price'), K.money({ amount: sku.price, currency: sku.currency })));
    tr.appendChild(C.cell(K.t('skus.stock'), stock.available + ' / ' + stock.reserved + ' / ' + stock.delivered,
        'nowrap stock'));
    tr.appendChild(C.cell(K.t('skus.policy'), policySummary(sku.policy)));
    tr.appendChild(C.cell(K.t('common.id'), sku.id, 'mono'));
    return tr;
  }

  function skuParams() {
    var q = $('sku-q').value.trim();
    return q ? { q: q } : {};
  }

  // The SKUs listed so far also fill the upload's choice of SKU.
  function skusLoaded(items, more) {
    skus = (more ? skus : []).concat(items);
    fillSkuChoice();
  }

  function fillSkuChoice() {
    var select = $('stock-sku');
    var chosen = select.value;
    K.clear(select);
    skus.forEach(function (sku) {
      select.appendChild(K.el('option', { value: sku.id, text: sku.name + ' (' + sku.id + ')' }));
    });
    if (chosen) {
      select.value = chosen;
    }
  }

  function policyFields() {
    var box = $('policy-fields');
    K.clear(box);
    POLICY_FIELDS.forEach(function (field) {
      var id = 'policy-' + field;
      var old = document.getElementById(id);
      box.appendChild(K.el('div', {}, [
        K.el('label', { 'for': id, text: K.t('policy.' + field) }),
        K.el('input', { id: id, name: field, inputmode: 'numeric', 'aria-describedby': id + '-hint',
          value: old ? old.value : '' }),
        K.el('p', { id: id + '-hint', className: 'hint', text: K.t('policy.' + field + '.hint') })
      ]));
    });
  }

  // The price typed in the currency's main unit, as integer minor units (10.00 CNY is 1000).
  function minorUnits(text, currency) {
    var digits = currency === 'JPY' ? 0 : 2;
    if (!/^\d+(\.\d+)?$/.test(text)) {
      return null;
    }
    var parts = text.split('.');
    var fraction = (parts[1] || '').padEnd(digits, '0');
    if (fraction.length > digits) {
      return null;
    }
    return parseInt(parts[0], 10) * Math.pow(10, digits) + (digits ? parseInt(fraction, 10) : 0);
  }

  function createSku(event) {
    event.preventDefault();
    var error = $('sku-error');
    error.textContent = '';
    var currency = $('sku-currency').value;
    var price = minorUnits($('sku-price').value.trim(), currency);
    var body = { name: $('sku-name').value.trim(), price: price, currency: currency };
    if (price === null) {
      error.textContent = 'price: ' + K.t('skus.priceHint');
      $('sku-price').focus();
      return;
    }
    var policy = {};
    POLICY_FIELDS.forEach(function (field) {
      var value = $('policy-' + field).value.trim();
      if (value) {
        policy[field] = Number(value);
      }
    });
    if (Object.keys(policy).length) {
      body.policy = policy;
    }
    var pattern = $('sku-pattern').value.trim();
    if (pattern) {
      body.validators = [{ type: 'format', pattern: pattern }];
    }
    $('sku-submit').disabled = true;
    C.api('POST', '/v1/skus', body).then(function (answer) {
      $('sku-submit').disabled = false;
      if (answer.status !== 201) {
        error.textContent = C.problemText(answer.json);
        return;
      }
      C.say('skus.created', { name: answer.json.name });
      $('sku-form').reset();
      $('sku-q').value = '';
      skuList.load(false).then(function () {
        $('stock-sku').value = answer.json.id;
      });
    });
  }

  // ---- stock

  // Uploads the pasted lines and reports each: the API refuses a whole batch that holds a malformed key (400,
  // naming /keys/<i>) or a duplicate (409 duplicate_key, naming the positions), storing nothing; such lines are
  // set aside and the rest sent again, so every line ends accepted, duplicate or malformed. No key is shown back.
  function uploadStock(event) {
    event.preventDefault();
    var error = $('stock-error');
    error.textContent = '';
    var skuId = $('stock-sku').value;
    if (!skuId) {
      error.textContent = K.t('stock.noSku');
      return;
    }
    var lines = [];
    $('stock-lines').value.split(/\r?\n/).forEach(function (line, i) {
      if (line.trim()) {
        lines.push({ number: i + 1, key: line.trim(), result: null, reason: '' });
      }
    });
    if (!lines.length) {
      error.textContent = K.t('stock.noLines');
      return;
    }
    $('stock-submit').disabled = true;
    send(skuId, lines).then(function () {
      $('stock-submit').disabled = false;
      showResults(lines);
      // The keys leave the page once Keyhold holds them.
      $('stock-lines').value = '';
      $('stock-file').value = '';
      lines.forEach(function (line) { line.key = null; });
      skuList.load(false);
    }, function (failure) {
      $('stock-submit').disabled = false;
      error.textContent = String(failure.message || failure);
    });
  }

  function send(skuId, lines) {
    var pending = lines.filter(function (line) { return line.result === null; });
    if (!pending.length) {
      return Promise.resolve();
    }
    return C.api('POST', '/v1/skus/' + encodeURIComponent(skuId) + '/stock',
        { keys: pending.map(function (line) { return line.key; }) }).then(function (answer) {
      if (answer.status === 201) {
        pending.forEach(function (line) { line.result = 'accepted'; });
        return null;
      }
      var json = answer.json || {};
      var marked = 0;
      if (answer.status === 409 && json.code === 'duplicate_key' && json.positions) {
        json.positions.forEach(function (position) {
          pending[position].result = 'duplicate';
          marked++;
        });
      } else if (answer.status === 400 && json.errors) {
        json.errors.forEach(function (fieldError) {
          var match = /^\/keys\/(\d+)$/.exec(fieldError.field);
          if (match && pending[Number(match[1])]) {
            pending[Number(match[1])].result = 'malformed';
            pending[Number(match[1])].reason = /control/.test(fieldError.message) ? 'control' : 'empty';
            marked++;
          }
        });
      }
      if (!marked) {
        throw new Error(C.problemText(json));
      }
      return send(skuId, lines);
    });
  }

  function showResults(lines) {
    lastResults = lines.map(function (line) {
      return { number: line.number, result: line.result, reason: line.reason };
    });
    var list = $('stock-result-list');
    K.clear(list);
    var counts = { accepted: 0, duplicate: 0, malformed: 0 };
    lines.forEach(function (line) {
      counts[line.result]++;
      var text = line.result === 'malformed' ? K.t('stock.malformed', { reason: K.t('stock.reason.' + line.reason) })
        : K.t('stock.' + line.result);
      list.appendChild(K.el('li', { className: line.result, 'data-line': String(line.number),
        'data-result': line.result }, [K.el('strong', { text: K.t('stock.line', { n: line.number }) }), ': ' + text]));
    });
    $('stock-summary').textContent = K.t('stock.summary', counts);
    $('stock-results').hidden = false;
  }

  function readFile() {
    var file = $('stock-file').files[0];
    if (!file) {
      return;
    }
    file.text().then(function (text) {
      $('stock-lines').value = text;
    });
  }

  // ---- orders

  function fillStates() {
    var select = $('orders-state');
    var chosen = select.value;
    K.clear(select);
    select.appendChild(K.el('option', { value: '', text: K.t('common.allStates') }));
    C.STATES.forEach(function (state) {
      select.appendChild(K.el('option', { value: state, text: K.t('ostate.' + state) }));
    });
    select.value = chosen;
  }

  function orderRow(order) {
    var tr = K.el('tr', { 'data-order': order.id, 'data-state': order.state });
    tr.appendChild(C.cell(K.t('common.id'), order.id, 'mono'));
    tr.appendChild(C.cell(K.t('common.state'), C.badge(order.state)));
    tr.appendChild(C.cell(K.t('common.units'), order.units.map(function (unit) { return K.t('ustate.' + unit.state); }).join(', ')));
    tr.appendChild(C.cell(K.t('common.amount'), K.money(order.total), 'nowrap'));
    tr.appendChild(C.cell(K.t('common.placed'), K.time(order.placed_at), 'nowrap'));
    return tr;
  }

  function orderParams() {
    var params = {};
    if ($('orders-state').value) {
      params.state = $('orders-state').value;
    }
    if ($('orders-since').value) {
      params.placed_since = new Date($('orders-since').value).toISOString();
    }
    return params;
  }

  // The live view: the first page under the current filters is asked again every few seconds, and each row that
  // changed is replaced in place (rows from "show more" stay as they are).
  function refreshLive() {
    if (!session || document.hidden) {
      return;
    }
    C.api('GET', '/v1/orders?' + new URLSearchParams(orderParams()).toString()).then(function (answer) {
      if (answer.status !== 200) {
        return;
      }
      var body = $('orders-body');
      var fresh = answer.json.items;
      var changed = false;
      fresh.slice().reverse().forEach(function (order) {
        var existing = body.querySelector('tr[data-order="' + order.id + '"]');
        if (existing && existing.getAttribute('data-state') === order.state) {
          return;
        }
        changed = true;
        var row = orderRow(order);
        if (existing) {
          body.replaceChild(row, existing);
        } else {
          body.insertBefore(row, body.firstChild);
        }
      });
      $('orders-empty').hidden = body.children.length > 0;
      if (changed) {
        // An order that moved took or gave back stock: the levels shown follow.
        skuList.load(false);
      }
      $('orders-live').textContent = K.t('orders.live', { n: LIVE_INTERVAL_MS / 1000 }) + ' · ' + K.timeOfDay(new Date().toISOString());
    });
  }

  function startLive() {
    if (!liveTimer) {
      liveTimer = window.setInterval(refreshLive, LIVE_INTERVAL_MS);
    }
    $('orders-live').textContent = K.t('orders.live', { n: LIVE_INTERVAL_MS / 1000 });
  }

  // ---- deposit and score

  function loadDeposit() {
    var facts = $('deposit-facts');
    Promise.all([C.api('GET', '/v1/deposit'),
      C.api('GET', '/v1/merchants/' + encodeURIComponent(session.merchant_id) + '/reliability')]).then(function (answers) {
      K.clear(facts);
      var deposit = answers[0];
      if (deposit.status === 200 && deposit.json && deposit.json.balance) {
        facts.appendChild(K.el('dt', { text: K.t('deposit.balance') }));
        facts.appendChild(K.el('dd', { id: 'deposit-balance', text: K.money(deposit.json.balance) }));
        facts.appendChild(K.el('dt', { text: K.t('deposit.floor') }));
        facts.appendChild(K.el('dd', { text: K.money(deposit.json.floor) }));
      } else {
        facts.appendChild(K.el('dt', { text: K.t('deposit.balance') }));
        facts.appendChild(K.el('dd', { text: K.t('deposit.none') }));
      }
      var score = answers[1];
      facts.appendChild(K.el('dt', { text: K.t('score.heading') }));
      facts.appendChild(K.el('dd', { id: 'score', text: score.status === 200 && score.json && score.json.enough_data
        ? K.t('score.value', { score: score.json.score }) : K.t('score.notYet') }));
    });
  }

  // ---- webhooks and adapter

  function loadHealth() {
    C.api('GET', '/v1/adapter-health').then(function (answer) {
      var list = $('adapter-health');
      K.clear(list);
      if (answer.status !== 200) {
        return;
      }
      if (!answer.json.components.length) {
        list.appendChild(K.el('li', { className: 'note', text: K.t('health.noAdapter') }));
      }
      answer.json.components.forEach(function (component) {
        var calls = Object.keys(component.calls).map(function (outcome) {
          return outcome + ' ' + component.calls[outcome];
        }).join(', ') || '0';
        list.appendChild(K.el('li', { className: component.circuit_state === 'closed' ? '' : 'bad',
          text: K.t('health.component', { name: component.name, state: component.circuit_state, calls: calls,
            mean: Math.round(component.latency_ms_mean || 0), max: Math.round(component.latency_ms_max || 0) }) }));
      });
    });
    webhookList.load(false);
  }

  function webhookParams() {
    return $('webhooks-state').value ? { state: $('webhooks-state').value } : {};
  }

  function webhookRow(delivery) {
    var tr = K.el('tr', { 'data-delivery': String(delivery.id), 'data-state': delivery.state });
    tr.appendChild(C.cell(K.t('health.event'), (delivery.event || '') + ' · ' + (delivery.order_id || '')));
    tr.appendChild(C.cell(K.t('common.state'), K.t('health.' + delivery.state)));
    tr.appendChild(C.cell(K.t('health.attempts'), delivery.attempts));
    tr.appendChild(C.cell(K.t('health.lastError'), delivery.last_error || '—'));
    tr.appendChild(C.cell(K.t('health.at'), K.time(delivery.created_at), 'nowrap'));
    return tr;
  }

  document.addEventListener('DOMContentLoaded', function () {
    policyFields();
    fillStates();
    skuList = C.pagedList({ path: '/v1/skus', params: skuParams, body: 'skus-body', row: skuRow, more: 'skus-more',
      empty: 'skus-empty', loaded: skusLoaded });
    orderList = C.pagedList({ path: '/v1/orders', params: orderParams, body: 'orders-body', row: orderRow,
      more: 'orders-more', empty: 'orders-empty' });
    webhookList = C.pagedList({ path: '/v1/webhook-deliveries', params: webhookParams, body: 'webhooks-body',
      row: webhookRow, more: 'webhooks-more', empty: 'webhooks-empty' });
    $('sku-search').addEventListener('submit', function (event) {
      event.preventDefault();
      skuList.load(false);
    });
    $('sku-form').addEventListener('submit', createSku);
    $('stock-form').addEventListener('submit', uploadStock);
    $('stock-file').addEventListener('change', readFile);
    $('orders-filter').addEventListener('submit', function (event) {
      event.preventDefault();
      orderList.load(false);
    });
    $('webhooks-filter').addEventListener('submit', function (event) {
      event.preventDefault();
      webhookList.load(false);
    });
    K.onLangChange(function () {
      policyFields();
      fillStates();
      if (lastResults) {
        showResults(lastResults);
      }
      if (session) {
        $('who').textContent = K.t('signin.as', { who: session.merchant_id });
        skuList.load(false);
        orderList.load(false);
        loadDeposit();
        loadHealth();
        startLive();
      }
    });
    C.setUp({ sessionPath: '/console/session', inputId: 'api-key', field: 'api_key', start: start, stop: stop });
  });
})();
