// Keyhold pages: strings in simplified Chinese and English, the language choice, and formatting.
// Plain script, no build step. Every page loads it before its own script.
(function () {
  'use strict';

  var STRINGS = {
    'en': {
      'brand.tagline': 'Escrow for card keys',
      'lang.label': 'Language',
      'common.loading': 'Loading…',
      'common.error': 'Something went wrong. Please try again.',
      'common.linkInvalid': 'This link is not valid. Please use the link from your checkout.',
      'common.shop': 'Shop',
      'common.product': 'Product',
      'common.quantity': 'Quantity',
      'common.unitPrice': 'Unit price',
      'common.total': 'Total',
      'common.order': 'Order',
      'common.minutes': '{n} min',

      'checkout.title': 'Checkout — Keyhold',
      'checkout.heading': 'Checkout',
      'checkout.promiseTitle': 'Your money is protected',
      'checkout.promiseHeld': 'Your money is held by Keyhold until your key has been checked and found valid.',
      'checkout.promiseLate': 'If the shop is late, you are refunded automatically by {time} ({minutes} after you pay). Nothing to claim, nothing to chase.',
      'checkout.promiseBad': 'If a key does not work, the shop must replace it; if it cannot, that key is refunded.',
      'checkout.promiseSeal': 'Your key stays sealed until you reveal it. Before that you can cancel for a full refund.',
      'checkout.payBy': 'Please pay by {time}.',
      'checkout.pay': 'Pay {amount}',
      'checkout.paying': 'Opening the payment page…',
      'checkout.providerNote': 'You pay on the payment provider\'s page (sandbox), then come back to your order page.',
      'checkout.alreadyPaid': 'This order is already paid. Opening your order…',
      'checkout.expired': 'This checkout has expired. Please go back to the shop.',
      'checkout.toOrder': 'Go to your order',

      'score.title': 'Shop reliability',
      'score.outOf': '{score} / 100',
      'score.none': 'No score yet',
      'score.notEnough': 'Not enough data: a score needs {min} deliveries, this shop has {n}.',
      'score.window': 'Last {days} days ({from} to {to}), from Keyhold\'s own records of this shop\'s orders. Figures in brackets are the sample sizes.',
      'score.onTime': 'Delivered on time',
      'score.deliveryTime': 'Delivery time',
      'score.deliveryTimeValue': 'median {median}, 95% within {p95}',
      'score.invalid': 'Invalid keys',
      'score.resupply': 'Replacements delivered',
      'score.refunds': 'Orders refunded',
      'score.disputes': 'Disputes lost',
      'score.ofKeys': '{rate} ({n} of {total} keys)',
      'score.ofChecked': '{rate} ({n} of {total} checked)',
      'score.ofReplacements': '{rate} ({n} of {total})',
      'score.ofOrders': '{rate} ({n} of {total} orders)',
      'score.ofDisputes': '{n} of {total} decided',
      'score.noSample': 'none yet',
      'score.ms': '{n} ms',

      'order.title': 'Your order — Keyhold',
      'order.heading': 'Your order',
      'order.live': 'Live',
      'order.reconnecting': 'Reconnecting…',
      'order.polling': 'Updating every few seconds',
      'order.progress': 'Progress',
      'order.nextDeadline': 'Next deadline',
      'order.yourKey': 'Your key',
      'order.yourKeys': 'Your keys',
      'order.whatNow': 'What you can do',
      'order.refund': 'Refund',
      'order.evidence': 'Evidence',
      'order.reportProblem': 'Report a problem',

      'state.awaiting_payment': 'Waiting for your payment',
      'state.expired': 'Expired — it was not paid in time',
      'state.funded': 'Paid — waiting for the shop to deliver your key',
      'state.validating': 'Key received — Keyhold is checking it',
      'state.resupplying': 'A key failed the check — the shop must send a replacement',
      'state.ready': 'Ready — your key was checked and is sealed for you',
      'state.inspection': 'Revealed — please check your key',
      'state.disputed': 'Problem reported — an arbiter will decide',
      'state.released': 'Completed — the payment went to the shop',
      'state.refunded': 'Refunded — your money is on its way back',
      'state.partially_refunded': 'Partly refunded — the keys that could not be delivered were refunded',

      'step.paid': 'Paid',
      'step.delivered': 'Key delivered by the shop',
      'step.checked': 'Key checked',
      'step.ready': 'Ready to reveal',
      'step.revealed': 'Revealed',
      'step.released': 'Payment released to the shop',
      'step.resupplying': 'Replacement requested from the shop',
      'step.refunded': 'Refunded to you',
      'step.partially_refunded': 'Partly refunded to you',
      'step.units_refunded': 'Keys the shop could not deliver refunded to you; the valid ones wait for you',
      'step.expired': 'Expired unpaid',
      'step.disputed': 'Problem reported',
      'step.decided': 'Arbiter decided',
      'step.cancelled': 'Cancelled by you',
      'step.done': 'done',
      'step.current': 'in progress',
      'step.todo': 'not yet',

      'deadline.awaiting_payment': 'Pay within',
      'deadline.funded': 'The shop must deliver within',
      'deadline.funded.note': 'If it is late, you are refunded automatically.',
      'deadline.validating': 'The check finishes within',
      'deadline.validating.note': 'A key that cannot be confirmed is replaced or refunded.',
      'deadline.resupplying': 'The replacement is due within',
      'deadline.resupplying.note': 'If it does not come in time, you are refunded automatically.',
      'deadline.ready': 'Reveal or cancel within',
      'deadline.ready.note': 'After that the payment goes to the shop; you can still reveal your key.',
      'deadline.inspection': 'Report a problem within',
      'deadline.inspection.note': 'After that the payment goes to the shop.',
      'deadline.at': 'by {time}',
      'deadline.due': 'due now — Keyhold is acting on it',

      'keys.waiting': 'Your key appears here once it has been delivered and checked valid.',
      'keys.sealed': 'Your key has been checked and is sealed. Revealing it starts your inspection window; after that you can no longer cancel.',
      'keys.reveal': 'Reveal key',
      'keys.revealMany': 'Reveal keys',
      'keys.unit': 'Key {n}',
      'keys.copy': 'Copy',
      'keys.copied': 'Key {n} copied',
      'keys.copyFailed': 'Could not copy; please select the key and copy it by hand.',
      'keys.unitState.refunded': 'refunded',
      'keys.unitState.pending': 'waiting for the shop',
      'keys.unitState.delivered': 'being checked',
      'keys.unitState.unknown': 'being checked',
      'keys.unitState.invalid': 'invalid — replacement requested',
      'keys.unitState.redeemed': 'already used — replacement requested',

      'actions.confirmText': 'Does the key work? Confirming releases the payment to the shop.',
      'actions.confirm': 'Confirm — the key works',
      'actions.cancelText': 'Changed your mind? Cancel before revealing for a full refund.',
      'actions.cancel': 'Cancel and refund',
      'actions.cancelSure': 'Cancel this order? Your key goes back to the shop unseen and you get your money back.',
      'actions.cancelYes': 'Yes, cancel',
      'actions.cancelNo': 'Keep the order',
      'actions.none': 'Nothing to do right now. This page updates by itself.',

      'dispute.reason': 'What is wrong?',
      'dispute.key_invalid': 'The key does not work',
      'dispute.key_already_used': 'The key was already used',
      'dispute.wrong_item': 'Wrong product or value',
      'dispute.other': 'Something else',
      'dispute.text': 'Describe the problem',
      'dispute.textHint': 'Up to 2000 characters. Do not paste your key here.',
      'dispute.submit': 'Report problem',
      'dispute.opened': 'You reported a problem on {time}: {reason}. An arbiter will decide; the money stays held until then.',
      'dispute.decided': 'The arbiter decided on {time}.',

      'refund.amount': 'Refunded: {amount}',
      'refund.pending': 'The refund is on its way to your payment method.',
      'refund.sent': 'The refund was sent to your payment method.',
      'refund.none': 'No refund.',
      'released.amount': 'Paid to the shop: {amount}',
      'order.compensation': 'Compensation',
      'compensation.paid': 'The shop missed a deadline; its deposit paid you {amount}.',
      'compensation.unpaid': 'Its deposit could not cover {amount} more; this stays on record as owed to you.',

      'evidence.text': 'Every step of this order is recorded in a tamper-evident log signed by Keyhold. Keep it if you need to prove what happened.',
      'evidence.download': 'Download evidence (JSON)',
      'evidence.print': 'Printable evidence page',

      'ev.title': 'Evidence — Keyhold',
      'ev.heading': 'Evidence for order {id}',
      'ev.print': 'Print',
      'ev.back': 'Back to the order',
      'ev.summary': 'Summary',
      'ev.state': 'State',
      'ev.placed': 'Placed',
      'ev.funded': 'Paid',
      'ev.revealed': 'Revealed',
      'ev.deadlines': 'Deadlines',
      'ev.payments': 'Payments',
      'ev.deliveries': 'Key deliveries (fingerprints, never keys)',
      'ev.validations': 'Key checks',
      'ev.refunds': 'Refunds',
      'ev.ledger': 'Ledger postings',
      'ev.events': 'Hash-chained events',
      'ev.chain': 'Chain',
      'ev.chainIntact': 'Intact: {n} events, each linked to the one before.',
      'ev.chainBroken': 'Broken: {problem}',
      'ev.signature': 'Signature',
      'ev.verifyHow': 'To verify: canonicalize the "bundle" member with RFC 8785 (JSON Canonicalization Scheme), encode it as UTF-8 and check the Ed25519 signature with the public key at /v1/evidence-key (key id {key}).',
      'ev.none': 'None',
      'ev.col.time': 'Time',
      'ev.col.unit': 'Unit',
      'ev.col.fingerprint': 'Key fingerprint',
      'ev.col.source': 'Source',
      'ev.col.verdict': 'Verdict',
      'ev.col.amount': 'Amount',
      'ev.col.provider': 'Provider',
      'ev.col.reference': 'Reference',
      'ev.col.use': 'Use',
      'ev.col.account': 'Account',
      'ev.col.type': 'Event',
      'ev.col.details': 'Details',
      'ev.col.hash': 'Hash',
      'ev.col.seq': '#',
      'ev.col.reason': 'Reason',
      'ev.col.name': 'Deadline'
    },
    'zh-CN': {
      'brand.tagline': '卡密担保交易',
      'lang.label': '语言',
      'common.loading': '加载中…',
      'common.error': '出错了，请稍后重试。',
      'common.linkInvalid': '此链接无效。请使用结账时获得的链接。',
      'common.shop': '店铺',
      'common.product': '商品',
      'common.quantity': '数量',
      'common.unitPrice': '单价',
      'common.total': '合计',
      'common.order': '订单',
      'common.minutes': '{n} 分钟',

      'checkout.title': '结账 — Keyhold',
      'checkout.heading': '结账',
      'checkout.promiseTitle': '您的资金受到保护',
      'checkout.promiseHeld': '您的货款由 Keyhold 托管，直到卡密经过检验确认有效。',
      'checkout.promiseLate': '如果店铺未按时发货，将在 {time} 前自动退款（付款后 {minutes} 内）。无需申诉，无需催单。',
      'checkout.promiseBad': '如果卡密无效，店铺必须补发；无法补发的部分自动退款。',
      'checkout.promiseSeal': '卡密在您查看之前一直密封保存。查看之前您可以取消订单并获得全额退款。',
      'checkout.payBy': '请在 {time} 前付款。',
      'checkout.pay': '支付 {amount}',
      'checkout.paying': '正在打开支付页面…',
      'checkout.providerNote': '您将在支付服务商的页面（沙盒）付款，然后回到订单页面。',
      'checkout.alreadyPaid': '此订单已付款，正在打开订单…',
      'checkout.expired': '此结账已过期，请返回店铺重新下单。',
      'checkout.toOrder': '查看订单',

      'score.title': '店铺信誉',
      'score.outOf': '{score} / 100',
      'score.none': '暂无评分',
      'score.notEnough': '数据不足：评分需要 {min} 次发货，该店目前 {n} 次。',
      'score.window': '近 {days} 天（{from} 至 {to}），依据 Keyhold 自己记录的该店订单。括号内为样本数。',
      'score.onTime': '按时发货',
      'score.deliveryTime': '发货用时',
      'score.deliveryTimeValue': '中位数 {median}，95% 在 {p95} 内',
      'score.invalid': '无效卡密',
      'score.resupply': '补发成功',
      'score.refunds': '退款订单',
      'score.disputes': '争议败诉',
      'score.ofKeys': '{rate}（{total} 个卡密中 {n} 个）',
      'score.ofChecked': '{rate}（已检验 {total} 个，其中 {n} 个）',
      'score.ofReplacements': '{rate}（{total} 次中 {n} 次）',
      'score.ofOrders': '{rate}（{total} 单中 {n} 单）',
      'score.ofDisputes': '已裁决 {total} 件中 {n} 件',
      'score.noSample': '暂无',
      'score.ms': '{n} 毫秒',

      'order.title': '我的订单 — Keyhold',
      'order.heading': '我的订单',
      'order.live': '实时更新',
      'order.reconnecting': '正在重新连接…',
      'order.polling': '每隔几秒自动刷新',
      'order.progress': '进度',
      'order.nextDeadline': '下一个期限',
      'order.yourKey': '您的卡密',
      'order.yourKeys': '您的卡密',
      'order.whatNow': '您可以进行的操作',
      'order.refund': '退款',
      'order.evidence': '证据',
      'order.reportProblem': '报告问题',

      'state.awaiting_payment': '等待您付款',
      'state.expired': '已过期——未在期限内付款',
      'state.funded': '已付款——等待店铺发货',
      'state.validating': '已收到卡密——Keyhold 正在检验',
      'state.resupplying': '卡密未通过检验——店铺须补发',
      'state.ready': '已就绪——卡密已检验并为您密封保存',
      'state.inspection': '已查看——请检查您的卡密',
      'state.disputed': '已报告问题——等待仲裁',
      'state.released': '已完成——货款已支付给店铺',
      'state.refunded': '已退款——款项正在退回',
      'state.partially_refunded': '部分退款——未能交付的卡密已退款',

      'step.paid': '已付款',
      'step.delivered': '店铺已发货',
      'step.checked': '卡密已检验',
      'step.ready': '可以查看',
      'step.revealed': '已查看',
      'step.released': '货款已支付给店铺',
      'step.resupplying': '已要求店铺补发',
      'step.refunded': '已退款给您',
      'step.partially_refunded': '已部分退款给您',
      'step.units_refunded': '店铺未能交付的卡密已退款给您，有效的卡密仍为您保留',
      'step.expired': '未付款，已过期',
      'step.disputed': '已报告问题',
      'step.decided': '仲裁已裁决',
      'step.cancelled': '您已取消',
      'step.done': '已完成',
      'step.current': '进行中',
      'step.todo': '未开始',

      'deadline.awaiting_payment': '付款剩余时间',
      'deadline.funded': '店铺发货剩余时间',
      'deadline.funded.note': '超时未发货将自动退款。',
      'deadline.validating': '检验剩余时间',
      'deadline.validating.note': '无法确认的卡密将补发或退款。',
      'deadline.resupplying': '补发剩余时间',
      'deadline.resupplying.note': '超时未补发将自动退款。',
      'deadline.ready': '查看或取消剩余时间',
      'deadline.ready.note': '到期后货款将支付给店铺；您仍可查看卡密。',
      'deadline.inspection': '报告问题剩余时间',
      'deadline.inspection.note': '到期后货款将支付给店铺。',
      'deadline.at': '截止 {time}',
      'deadline.due': '已到期——Keyhold 正在处理',

      'keys.waiting': '卡密发货并检验有效后会显示在这里。',
      'keys.sealed': '您的卡密已检验并密封。查看后检查期开始，之后将不能取消订单。',
      'keys.reveal': '查看卡密',
      'keys.revealMany': '查看卡密',
      'keys.unit': '卡密 {n}',
      'keys.copy': '复制',
      'keys.copied': '卡密 {n} 已复制',
      'keys.copyFailed': '无法复制，请手动选择卡密并复制。',
      'keys.unitState.refunded': '已退款',
      'keys.unitState.pending': '等待店铺发货',
      'keys.unitState.delivered': '检验中',
      'keys.unitState.unknown': '检验中',
      'keys.unitState.invalid': '无效——已要求补发',
      'keys.unitState.redeemed': '已被使用——已要求补发',

      'actions.confirmText': '卡密可以使用吗？确认收货后货款将支付给店铺。',
      'actions.confirm': '确认收货——卡密可用',
      'actions.cancelText': '改变主意了？查看卡密前可取消订单并全额退款。',
      'actions.cancel': '取消并退款',
      'actions.cancelSure': '确定取消此订单吗？卡密将原封退回店铺，货款全额退还给您。',
      'actions.cancelYes': '确定取消',
      'actions.cancelNo': '保留订单',
      'actions.none': '目前无需操作，本页面会自动更新。',

      'dispute.reason': '遇到了什么问题？',
      'dispute.key_invalid': '卡密无效',
      'dispute.key_already_used': '卡密已被使用',
      'dispute.wrong_item': '商品或面值不符',
      'dispute.other': '其他问题',
      'dispute.text': '问题描述',
      'dispute.textHint': '最多 2000 字。请勿在此粘贴卡密。',
      'dispute.submit': '提交问题',
      'dispute.opened': '您于 {time} 报告了问题：{reason}。仲裁员将作出裁决，在此之前货款继续托管。',
      'dispute.decided': '仲裁已于 {time} 作出裁决。',

      'refund.amount': '已退款：{amount}',
      'refund.pending': '退款正在退回您的付款账户。',
      'refund.sent': '退款已退回您的付款账户。',
      'refund.none': '无退款。',
      'released.amount': '已支付给店铺：{amount}',
      'order.compensation': '赔付',
      'compensation.paid': '店铺未按时履约，已从其保证金赔付您 {amount}。',
      'compensation.unpaid': '保证金不足，另有 {amount} 未能赔付，已记录为店铺欠您的款项。',

      'evidence.text': '本订单的每一步都记录在由 Keyhold 签名、防篡改的日志中。如需证明发生了什么，请保存它。',
      'evidence.download': '下载证据（JSON）',
      'evidence.print': '可打印的证据页面',

      'ev.title': '证据 — Keyhold',
      'ev.heading': '订单 {id} 的证据',
      'ev.print': '打印',
      'ev.back': '返回订单',
      'ev.summary': '概要',
      'ev.state': '状态',
      'ev.placed': '下单时间',
      'ev.funded': '付款时间',
      'ev.revealed': '查看时间',
      'ev.deadlines': '期限',
      'ev.payments': '付款',
      'ev.deliveries': '卡密发货记录（仅指纹，不含卡密）',
      'ev.validations': '卡密检验',
      'ev.refunds': '退款',
      'ev.ledger': '账目分录',
      'ev.events': '哈希链事件',
      'ev.chain': '哈希链',
      'ev.chainIntact': '完整：共 {n} 个事件，每个都链接到前一个。',
      'ev.chainBroken': '已损坏：{problem}',
      'ev.signature': '签名',
      'ev.verifyHow': '验证方法：将 "bundle" 成员按 RFC 8785（JSON 规范化方案）规范化并以 UTF-8 编码，再用 /v1/evidence-key 提供的公钥（密钥编号 {key}）校验 Ed25519 签名。',
      'ev.none': '无',
      'ev.col.time': '时间',
      'ev.col.unit': '单位',
      'ev.col.fingerprint': '卡密指纹',
      'ev.col.source': '来源',
      'ev.col.verdict': '检验结果',
      'ev.col.amount': '金额',
      'ev.col.provider': '支付服务商',
      'ev.col.reference': '流水号',
      'ev.col.use': '用途',
      'ev.col.account': '账户',
      'ev.col.type': '事件',
      'ev.col.details': '详情',
      'ev.col.hash': '哈希',
      'ev.col.seq': '#',
      'ev.col.reason': '原因',
      'ev.col.name': '期限'
    }
  };

  var STORAGE_KEY = 'keyhold.lang';
  var SUPPORTED = ['zh-CN', 'en'];

  function queryParam(name) {
    return new URLSearchParams(window.location.search).get(name);
  }

  function storedChoice() {
    try {
      return window.localStorage.getItem(STORAGE_KEY);
    } catch (e) {
      return null;
    }
  }

  // ?lang= wins, then a choice made with the switch, then the server's reading of Accept-Language,
  // then the browser's own language list.
  function initialLanguage() {
    var query = queryParam('lang');
    if (SUPPORTED.indexOf(query) >= 0) {
      return query;
    }
    var stored = storedChoice();
    if (SUPPORTED.indexOf(stored) >= 0) {
      return stored;
    }
    var html = document.documentElement;
    if (html.getAttribute('data-lang-source') === 'header' && SUPPORTED.indexOf(html.lang) >= 0) {
      return html.lang;
    }
    var languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || 'en'];
    return String(languages[0]).toLowerCase().indexOf('zh') === 0 ? 'zh-CN' : 'en';
  }

  var lang = initialLanguage();
  var listeners = [];

  function t(key, vars) {
    var text = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    if (vars) {
      Object.keys(vars).forEach(function (name) {
        text = text.split('{' + name + '}').join(String(vars[name]));
      });
    }
    return text;
  }

  function applyStatic() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-i18n]').forEach(function (element) {
      element.textContent = t(element.getAttribute('data-i18n'));
    });
    var title = document.querySelector('title[data-i18n-title]');
    if (title) {
      document.title = t(title.getAttribute('data-i18n-title'));
    }
    document.querySelectorAll('[data-lang]').forEach(function (button) {
      button.setAttribute('aria-pressed', String(button.getAttribute('data-lang') === lang));
    });
  }

  function setLang(next) {
    if (SUPPORTED.indexOf(next) < 0 || next === lang) {
      return;
    }
    lang = next;
    try {
      window.localStorage.setItem(STORAGE_KEY, next);
    } catch (e) {
      // Private modes may refuse storage; the switch still works for this page.
    }
    applyStatic();
    listeners.forEach(function (listener) { listener(lang); });
  }

  function minorDigits(currency) {
    try {
      return new Intl.NumberFormat('en', { style: 'currency', currency: currency }).resolvedOptions().maximumFractionDigits;
    } catch (e) {
      return 2;
    }
  }

  // Amounts arrive as integer minor units; divide by the currency's own number of digits.
  function money(value) {
    if (!value) {
      return '';
    }
    var digits = minorDigits(value.currency);
    var major = value.amount / Math.pow(10, digits);
    try {
      return new Intl.NumberFormat(lang, { style: 'currency', currency: value.currency }).format(major);
    } catch (e) {
      return major.toFixed(digits) + ' ' + value.currency;
    }
  }

  function time(iso) {
    if (!iso) {
      return '';
    }
    return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(iso));
  }

  function timeOfDay(iso) {
    return new Intl.DateTimeFormat(lang, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(iso));
  }

  // A remaining time in words: "2 h 5 min", "4 min 03 s", "12 s".
  function duration(ms) {
    var total = Math.max(0, Math.round(ms / 1000));
    var days = Math.floor(total / 86400);
    var hours = Math.floor((total % 86400) / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var seconds = total % 60;
    var zh = lang === 'zh-CN';
    if (days > 0) {
      return zh ? days + ' 天 ' + hours + ' 小时' : days + ' d ' + hours + ' h';
    }
    if (hours > 0) {
      return zh ? hours + ' 小时 ' + minutes + ' 分' : hours + ' h ' + minutes + ' min';
    }
    if (minutes > 0 && seconds === 0) {
      return zh ? minutes + ' 分钟' : minutes + ' min';
    }
    if (minutes > 0) {
      var padded = (seconds < 10 ? '0' : '') + seconds;
      return zh ? minutes + ' 分 ' + padded + ' 秒' : minutes + ' min ' + padded + ' s';
    }
    return zh ? seconds + ' 秒' : seconds + ' s';
  }

  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      if (name === 'text') {
        node.textContent = attributes[name];
      } else if (name === 'className') {
        node.className = attributes[name];
      } else {
        node.setAttribute(name, attributes[name]);
      }
    });
    (children || []).forEach(function (child) {
      if (child) {
        node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
      }
    });
    return node;
  }

  function clear(node) {
    while (node.firstChild) {
      node.removeChild(node.firstChild);
    }
  }

  document.addEventListener('DOMContentLoaded', function () {
    applyStatic();
    document.querySelectorAll('[data-lang]').forEach(function (button) {
      button.addEventListener('click', function () { setLang(button.getAttribute('data-lang')); });
    });
  });

  // More strings for a page family (the consoles bring their own); called before the page is shown.
  function extend(more) {
    Object.keys(more).forEach(function (language) {
      STRINGS[language] = STRINGS[language] || {};
      Object.keys(more[language]).forEach(function (key) {
        STRINGS[language][key] = more[language][key];
      });
    });
  }

  window.Keyhold = {
    extend: extend,
    t: t,
    lang: function () { return lang; },
    setLang: setLang,
    onLangChange: function (listener) { listeners.push(listener); },
    money: money,
    time: time,
    timeOfDay: timeOfDay,
    duration: duration,
    el: element,
    clear: clear,
    queryParam: queryParam
  };
})();
