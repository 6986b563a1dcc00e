-- Keyhold schema, version 2: orders and everything a transition writes (units, ledger postings, evidence
-- events, outbox rows), checkout sessions, payments and refunds, delivered keys.
--
-- Same rules as V1: merchant_id leads every key except the global ones (key_fingerprints, payments by provider
-- transaction id, outbox claim order), no card key or token in the clear, stable text codes (escrow-core's
-- code() values), never ordinals.
--
-- One transition of escrow-core is stored in ONE transaction (io.keyhold.gateway.orders.OrderStore): the orders
-- row guarded by its version, the order_units projection, ledger_postings, evidence_events and outbox rows.

-- A SKU's two choices escrow-core needs besides its deadlines; the defaults are escrow-core's defaults.
ALTER TABLE skus
  ADD COLUMN unknown_verdict_policy text NOT NULL DEFAULT 'resupply'
    CHECK (unknown_verdict_policy IN ('resupply', 'refund')),
  ADD COLUMN late_payment_policy text NOT NULL DEFAULT 'fulfil_if_stock'
    CHECK (late_payment_policy IN ('fulfil_if_stock', 'refund'));

-- The whole escrow-core Order, restorable: the columns are what queries need (state, deadline, version), and
-- `data` holds every component of io.keyhold.escrow.Order (units, payments, dispute, times, policy) as written
-- by io.keyhold.gateway.orders.OrderCodec. `version` is the optimistic lock: an update names the version it read.
CREATE TABLE orders (
  merchant_id        text NOT NULL REFERENCES merchants (id),
  id                 text NOT NULL CHECK (id ~ '^ord_[a-z2-7]{24}$'),
  sku_id             text NOT NULL,
  state              text NOT NULL CHECK (state IN ('awaiting_payment', 'expired', 'funded', 'validating',
                       'resupplying', 'ready', 'inspection', 'disputed', 'released', 'refunded',
                       'partially_refunded')),
  version            bigint NOT NULL CHECK (version >= 1),
  next_action_at     timestamptz,
  quantity           integer NOT NULL CHECK (quantity BETWEEN 1 AND 100),
  unit_price_minor   bigint NOT NULL CHECK (unit_price_minor > 0),
  currency           text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  token_hash         bytea NOT NULL CHECK (octet_length(token_hash) = 32),
  buyer_ref          text CHECK (length(buyer_ref) <= 200),
  adapter_type       text NOT NULL,
  reservation_id     text CHECK (length(reservation_id) <= 64),
  reserved_until     timestamptz,
  data               jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  placed_at          timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, sku_id) REFERENCES skus (merchant_id, id)
);
CREATE UNIQUE INDEX orders_id ON orders (id);
CREATE UNIQUE INDEX orders_token_hash ON orders (token_hash);
-- The sweeper's claim: due orders in deadline order; terminal and disputed orders have no next action.
CREATE INDEX orders_due ON orders (next_action_at) WHERE next_action_at IS NOT NULL;
-- The merchant's list: GET /v1/orders?state=&cursor= (newest first, id breaks ties).
CREATE INDEX orders_by_merchant ON orders (merchant_id, placed_at DESC, id DESC);
CREATE INDEX orders_by_merchant_state ON orders (merchant_id, state, placed_at DESC, id DESC);

-- One row per unit, rewritten with every transition: a projection of orders.data for queries and audits
-- (the Order in `data` stays the source the state machine is restored from).
CREATE TABLE order_units (
  merchant_id  text NOT NULL,
  order_id     text NOT NULL,
  unit_index   integer NOT NULL CHECK (unit_index BETWEEN 0 AND 99),
  state        text NOT NULL CHECK (state IN ('pending', 'delivered', 'valid', 'invalid', 'redeemed', 'unknown',
                 'refunded', 'released')),
  key_ref      text,
  fingerprint  text CHECK (fingerprint ~ '^[0-9a-f]{64}$'),
  deliveries   integer NOT NULL DEFAULT 0,
  replacements integer NOT NULL DEFAULT 0,
  delivered_at timestamptz,
  checked_at   timestamptz,
  PRIMARY KEY (merchant_id, order_id, unit_index),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);

-- Every card key delivered for a unit, sealed with the KeyVault (AAD binds it to merchant, order and key_ref),
-- with its keyed fingerprint. key_ref is what escrow-core holds; the key itself never leaves this table unsealed.
CREATE TABLE delivered_keys (
  merchant_id   text NOT NULL,
  order_id      text NOT NULL,
  key_ref       text NOT NULL CHECK (key_ref ~ '^dk_[a-z2-7]{24}$'),
  unit_index    integer NOT NULL CHECK (unit_index BETWEEN 0 AND 99),
  source        text NOT NULL CHECK (source IN ('stock', 'adapter', 'push')),
  vault_key_id  text NOT NULL,
  sealed_key    bytea NOT NULL,
  fingerprint   bytea NOT NULL CHECK (octet_length(fingerprint) = 32),
  duplicate     boolean NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, key_ref),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE INDEX delivered_keys_by_order ON delivered_keys (merchant_id, order_id, unit_index);

-- The built-in stock adapter's deliveries: which stock key went to which order unit, per attempt (0 = the first
-- delivery, n = the n-th replacement), so asking again returns the same key (the adapter contract). Keyed by the
-- adapter's order id, which is any protocol identifier (the contract kit uses its own ids), not only ord_ ids.
CREATE TABLE stock_deliveries (
  merchant_id  text NOT NULL,
  order_ref    text NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 64),
  unit_index   integer NOT NULL CHECK (unit_index BETWEEN 0 AND 9999),
  attempt      integer NOT NULL CHECK (attempt BETWEEN 0 AND 20),
  sku_id       text NOT NULL,
  stock_key_id bigint NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, order_ref, unit_index, attempt),
  UNIQUE (merchant_id, stock_key_id)
);

-- Which unit a fingerprint was delivered to. A row uploaded to stock has no order until the stock adapter
-- delivers that very key; any other claim on a fingerprint that is already present is a duplicate key.
ALTER TABLE key_fingerprints
  ADD COLUMN order_id text,
  ADD COLUMN unit_index integer,
  ADD COLUMN delivered_at timestamptz,
  ADD CONSTRAINT key_fingerprints_delivery CHECK ((order_id IS NULL) = (unit_index IS NULL)
    AND (order_id IS NULL) = (delivered_at IS NULL));

-- Ledger: one ledger transaction (txn_id = '<order id>/<order version>') per transition that moves money; each
-- sums to zero per currency (checked by the store before writing, and by the audit).
CREATE TABLE ledger_postings (
  id           bigint GENERATED ALWAYS AS IDENTITY,
  merchant_id  text NOT NULL,
  order_id     text NOT NULL,
  txn_id       text NOT NULL,
  account      text NOT NULL CHECK (length(account) BETWEEN 1 AND 200),
  amount_minor bigint NOT NULL CHECK (amount_minor <> 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at   timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE INDEX ledger_postings_by_order ON ledger_postings (merchant_id, order_id);
CREATE INDEX ledger_postings_by_txn ON ledger_postings (txn_id);
CREATE INDEX ledger_postings_by_account ON ledger_postings (account);

-- Evidence: escrow-core's hash chain, one row per EvidenceEvent; `data` holds the event's details map.
CREATE TABLE evidence_events (
  merchant_id text NOT NULL,
  order_id    text NOT NULL,
  seq         bigint NOT NULL CHECK (seq >= 1),
  type        text NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
  at          timestamptz NOT NULL,
  data        jsonb NOT NULL CHECK (jsonb_typeof(data) = 'object'),
  prev_hash   text NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
  hash        text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  PRIMARY KEY (merchant_id, order_id, seq),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE UNIQUE INDEX evidence_events_order_seq ON evidence_events (order_id, seq);

-- Outbox: escrow-core's effects (and gateway jobs such as payment notices), written in the transition's
-- transaction, run afterwards. Claimed with FOR UPDATE SKIP LOCKED in next_attempt_at order; a failed attempt
-- backs off exponentially; past the retry limit the row becomes 'failed' with its last error recorded.
CREATE TABLE outbox (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  merchant_id     text,
  order_id        text,
  kind            text NOT NULL CHECK (kind ~ '^[a-z][a-z0-9_]{0,47}$'),
  idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 300),
  payload         jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'failed')),
  attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at timestamptz NOT NULL,
  last_error      text CHECK (length(last_error) <= 1000),
  created_at      timestamptz NOT NULL,
  finished_at     timestamptz
);
CREATE UNIQUE INDEX outbox_idempotency_key ON outbox (idempotency_key);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_order ON outbox (order_id);

-- A checkout session: what the shop created for one buyer. The session id is the buyer's secret link; it can
-- give the order token back, so the token is kept sealed here (orders keep only its hash).
CREATE TABLE checkout_sessions (
  merchant_id      text NOT NULL,
  id               text NOT NULL CHECK (id ~ '^cs_[a-z2-7]{24}$'),
  order_id         text NOT NULL,
  token_key_id     text NOT NULL,
  token_sealed     bytea NOT NULL,
  expires_at       timestamptz NOT NULL,
  created_at       timestamptz NOT NULL,
  PRIMARY KEY (merchant_id, id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE UNIQUE INDEX checkout_sessions_id ON checkout_sessions (id);
CREATE UNIQUE INDEX checkout_sessions_order ON checkout_sessions (order_id);

-- Payment notices as received: one row per provider transaction, whatever is repeated. `use` is escrow-core's
-- PaymentUse once the order applied it; 'rejected' when the order refused it (kept for an operator).
CREATE TABLE payments (
  provider        text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
  provider_txn_id text NOT NULL CHECK (length(provider_txn_id) BETWEEN 1 AND 100),
  merchant_id     text NOT NULL,
  order_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  use             text CHECK (use IN ('funded', 'refunded', 'rejected')),
  notices         integer NOT NULL DEFAULT 1 CHECK (notices >= 1),
  received_at     timestamptz NOT NULL,
  PRIMARY KEY (provider, provider_txn_id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE INDEX payments_by_order ON payments (merchant_id, order_id);

-- Refunds carried out through a provider (the outbox's refund_payment jobs); one per effect idempotency key.
CREATE TABLE refunds (
  idempotency_key text PRIMARY KEY,
  provider        text NOT NULL,
  provider_txn_id text NOT NULL,
  merchant_id     text NOT NULL,
  order_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason          text NOT NULL,
  provider_ref    text,
  created_at      timestamptz NOT NULL
);
CREATE INDEX refunds_by_order ON refunds (merchant_id, order_id);

-- The built-in sandbox provider's own book (it stands in for a remote provider): payments a buyer started and
-- confirmed, and the refunds it was asked for.
CREATE TABLE sandbox_payments (
  id           text PRIMARY KEY CHECK (id ~ '^pay_[a-z2-7]{24}$'),
  merchant_id  text NOT NULL,
  order_id     text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor > 0),
  currency     text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  state        text NOT NULL CHECK (state IN ('pending', 'paid')),
  refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0 AND refunded_minor <= amount_minor),
  created_at   timestamptz NOT NULL,
  paid_at      timestamptz
);
CREATE INDEX sandbox_payments_by_order ON sandbox_payments (order_id);
