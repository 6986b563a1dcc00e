// Keyhold consoles: what the shop console and the operator console share. They call the same JSON API as any
// client, authenticated by the session cookie the sign-in set (HttpOnly: this script never sees it). The CSRF
// token lives in this script's memory only; a reloaded page asks for it again over its session.
(function () {
  'use strict';
  var K = window.Keyhold;
  var csrf = null;
  var onSignedOut = null;

  // One API call. Answers {status, json}; a 401 while signed in means the session ended.
  function api(method, path, body) {
    var headers = { 'Accept': 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
    }
    if (method !== 'GET' && csrf) {
      headers['X-Keyhold-CSRF'] = csrf;
    }
    return fetch(path, {
      method: method,
      headers: headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (response) {
      return response.text().then(function (text) {
        var json = null;
        try {
          json = text ? JSON.parse(text) : null;
        } catch (e) {
          json = null;
        }
        if (response.status === 401 && csrf && onSignedOut) {
          csrf = null;
          onSignedOut('expired');
        }
        return { status: response.status, json: json };
      });
    });
  }

  // The session of this console, if any: {kind, merchant_id, csrf_token, ...} or null.
  function resume(sessionPath) {
    return api('GET', sessionPath).then(function (answer) {
      if (answer.status === 200 && answer.json) {
        csrf = answer.json.csrf_token;
        return answer.json;
      }
      return null;
    });
  }

  function signIn(sessionPath, body) {
    return api('POST', sessionPath, body).then(function (answer) {
      if (answer.status === 201 && answer.json) {
        csrf = answer.json.csrf_token;
      }
      return answer;
    });
  }

  function signOut(sessionPath) {
    return api('POST', sessionPath + '/end', {}).then(function () {
      csrf = null;
    });
  }

  // A problem's words for the person: the field errors when the request was wrong, else its detail.
  function problemText(json) {
    if (!json) {
      return K.t('common.error', { detail: '—' });
    }
    if (json.errors && json.errors.length) {
      return json.errors.map(function (error) {
        return error.field + ': ' + error.message;
      }).join('; ');
    }
    return K.t('common.error', { detail: json.detail || json.title || json.code });
  }

  // Asks before a change (money moves, a merchant is created); answers a Promise of true or false.
  function confirm(text) {
    var dialog = document.getElementById('confirm-dialog');
    document.getElementById('confirm-text').textContent = text;
    return new Promise(function (resolve) {
      var done = function () {
        dialog.removeEventListener('close', done);
        resolve(dialog.returnValue === 'yes');
      };
      dialog.returnValue = '';
      dialog.addEventListener('close', done);
      dialog.showModal();
      document.getElementById('confirm-no').focus();
    });
  }

  // The page's one-line news: a string key and its values, shown again in the other language after a switch.
  var lastMessage = null;

  function say(key, vars, bad) {
    lastMessage = { key: key, vars: vars, bad: bad };
    message(K.t(key, vars), bad);
  }

  function message(text, bad) {
    var node = document.getElementById('message');
    node.className = 'message' + (bad ? ' bad' : '');
    node.textContent = text || '';
  }

  // A cursor-paged list in a table body or a box (spec: path, params(), body, row(item), more, empty, loaded(items,
  // more)): load(false) shows the first page, load(true) appends the next; "show more" and "nothing here" follow.
  function pagedList(spec) {
    var cursor = null;
    function load(more) {
      var params = spec.params ? spec.params() : {};
      if (more && cursor) {
        params.cursor = cursor;
      }
      return api('GET', spec.path + '?' + new URLSearchParams(params).toString()).then(function (answer) {
        if (answer.status !== 200) {
          if (answer.status !== 401) {
            message(problemText(answer.json), true);
          }
          return null;
        }
        var body = document.getElementById(spec.body);
        if (!more) {
          K.clear(body);
        }
        answer.json.items.forEach(function (item) {
          body.appendChild(spec.row(item));
        });
        cursor = answer.json.next_cursor;
        document.getElementById(spec.more).hidden = !cursor;
        if (spec.empty) {
          document.getElementById(spec.empty).hidden = body.children.length > 0;
        }
        if (spec.loaded) {
          spec.loaded(answer.json.items, more);
        }
        return answer.json;
      });
    }
    document.getElementById(spec.more).addEventListener('click', function () { load(true); });
    return { load: load };
  }

  // A table cell that names its column on narrow screens (keyhold.css turns rows into cards there).
  function cell(label, content, className) {
    var td = K.el('td', { 'data-label': label, className: className || '' });
    if (content && typeof content === 'object') {
      td.appendChild(content);
    } else {
      td.textContent = content === undefined || content === null ? '' : String(content);
    }
    return td;
  }

  function badge(state) {
    return K.el('span', { className: 'badge ' + state, text: K.t('ostate.' + state) });
  }

  // Switches between the sign-in card and the console; moves focus to what appeared.
  function showSignedIn(signedIn) {
    document.body.setAttribute('data-signed-in', String(signedIn));
    document.getElementById('signin-card').hidden = signedIn;
    document.getElementById('console').hidden = !signedIn;
    document.getElementById('sign-out').hidden = !signedIn;
    document.getElementById('who').hidden = !signedIn;
  }

  function applyLabels() {
    document.querySelectorAll('[data-i18n-label]').forEach(function (node) {
      node.setAttribute('aria-label', K.t(node.getAttribute('data-i18n-label')));
    });
  }

  // Wires the sign-in form and the sign-out button; start(session) runs once signed in.
  function setUp(options) {
    applyLabels();
    K.onLangChange(function () {
      applyLabels();
      if (lastMessage) {
        message(K.t(lastMessage.key, lastMessage.vars), lastMessage.bad);
      }
    });
    var form = document.getElementById('signin-form');
    var input = document.getElementById(options.inputId);
    var error = document.getElementById('signin-error');
    onSignedOut = function (why) {
      showSignedIn(false);
      error.textContent = why === 'expired' ? K.t('signin.expired') : '';
      input.focus();
    };
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      error.textContent = '';
      var body = {};
      body[options.field] = input.value.trim();
      if (!body[options.field]) {
        error.textContent = K.t('signin.wrong');
        input.focus();
        return;
      }
      document.getElementById('signin-submit').disabled = true;
      signIn(options.sessionPath, body).then(function (answer) {
        document.getElementById('signin-submit').disabled = false;
        // The key leaves the page as soon as it has been exchanged.
        input.value = '';
        if (answer.status === 201) {
          showSignedIn(true);
          options.start(answer.json);
          document.querySelector('h1').focus();
        } else {
          error.textContent = K.t(answer.status === 429 ? 'signin.throttled' : 'signin.wrong');
          input.focus();
        }
      }, function () {
        document.getElementById('signin-submit').disabled = false;
        error.textContent = K.t('common.error', { detail: 'network' });
      });
    });
    document.getElementById('sign-out').addEventListener('click', function () {
      signOut(options.sessionPath).then(function () {
        options.stop();
        onSignedOut('signed-out');
      });
    });
    document.querySelector('h1').setAttribute('tabindex', '-1');
    resume(options.sessionPath).then(function (session) {
      if (session) {
        showSignedIn(true);
        options.start(session);
      } else {
        showSignedIn(false);
      }
    });
  }

  K.extend({
    'en': {
      'ostate.awaiting_payment': 'awaiting payment', 'ostate.expired': 'expired', 'ostate.funded': 'paid',
      'ostate.validating': 'checking key', 'ostate.resupplying': 'resupplying', 'ostate.ready': 'ready',
      'ostate.inspection': 'inspection', 'ostate.disputed': 'disputed', 'ostate.released': 'released',
      'ostate.refunded': 'refunded', 'ostate.partially_refunded': 'partly refunded'
    },
    'zh-CN': {
      'ostate.awaiting_payment': '待付款', 'ostate.expired': '已过期', 'ostate.funded': '已付款',
      'ostate.validating': '校验中', 'ostate.resupplying': '补发中', 'ostate.ready': '待查看',
      'ostate.inspection': '验货中', 'ostate.disputed': '纠纷中', 'ostate.released': '已结算',
      'ostate.refunded': '已退款', 'ostate.partially_refunded': '部分退款'
    }
  });

  window.KeyholdConsole = {
    STATES: ['awaiting_payment', 'funded', 'validating', 'resupplying', 'ready', 'inspection', 'disputed',
      'released', 'refunded', 'partially_refunded', 'expired'],
    api: api,
    pagedList: pagedList,
    setUp: setUp,
    confirm: confirm,
    message: message,
    say: say,
    problemText: problemText,
    cell: cell,
    badge: badge
  };
})();
