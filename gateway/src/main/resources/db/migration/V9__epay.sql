-- Keyhold schema, version 9 (payments at remote sites such as 易支付): the payments the gateway started at a
-- provider that starts payments, so a notice for one it did not start, or for another order, amount or currency,
-- is refused, and one whose notice never came is asked about (next_poll_at); and the refunds a provider could not
-- make (no refund API, or a refusal for good), owed by the operator, never a silent loss.
CREATE TABLE payment_starts (
  provider        text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_-]{0,31}$'),
  provider_txn_id text NOT NULL CHECK (length(provider_txn_id) BETWEEN 1 AND 100),
  merchant_id     text NOT NULL,
  order_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at      timestamptz NOT NULL,
  next_poll_at    timestamptz NOT NULL,
  polls           integer NOT NULL DEFAULT 0 CHECK (polls >= 0),
  refused_notices integer NOT NULL DEFAULT 0 CHECK (refused_notices >= 0),
  last_refusal    text CHECK (length(last_refusal) <= 32),
  PRIMARY KEY (provider, provider_txn_id),
  FOREIGN KEY (merchant_id, order_id) REFERENCES orders (merchant_id, id)
);
CREATE INDEX payment_starts_by_order ON payment_starts (merchant_id, order_id);
CREATE INDEX payment_starts_to_poll ON payment_starts (next_poll_at);

CREATE TABLE refunds_owed (
  idempotency_key text PRIMARY KEY,
  provider        text NOT NULL,
  provider_txn_id text NOT NULL,
  merchant_id     text NOT NULL,
  order_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  reason          text NOT NULL,
  cause           text NOT NULL CHECK (cause ~ '^[a-z0-9_]{1,32}$'),
  created_at      timestamptz NOT NULL
);
CREATE INDEX refunds_owed_by_order ON refunds_owed (merchant_id, order_id);
CREATE INDEX refunds_owed_by_time ON refunds_owed (created_at, idempotency_key);
