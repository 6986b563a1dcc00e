-- Keyhold schema, version 7 (issue 14): merchants' deposits and the compensation they pay.
--
-- A merchant's deposit is the ledger account merchant:<id>:deposit; merchant_deposits keeps its balance in step
-- with the postings (in the same transaction) so that the sweeper can lock one row per merchant (FOR UPDATE) while
-- it decides compensation, and two orders of one merchant never pay the same money twice. balance_minor >= 0 is
-- the ledger's own rule, held here once more.
CREATE TABLE merchant_deposits (
  merchant_id   text PRIMARY KEY REFERENCES merchants (id),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  balance_minor bigint NOT NULL DEFAULT 0 CHECK (balance_minor >= 0),
  floor_minor   bigint NOT NULL DEFAULT 0 CHECK (floor_minor >= 0),
  updated_at    timestamptz NOT NULL
);

-- A deposit's top-ups and withdrawals belong to no order: their ledger transactions ('deposit/<merchant>/<n>') carry
-- no order_id. Every order's transaction still does.
ALTER TABLE ledger_postings ALTER COLUMN order_id DROP NOT NULL;
CREATE INDEX ledger_postings_deposits ON ledger_postings (merchant_id, id) WHERE account LIKE 'merchant:%:deposit';

-- A SKU's compensation (escrow-core Compensation): none, a fixed amount per unit, or basis points of the unit price.
ALTER TABLE skus
  ADD COLUMN compensation_basis text CHECK (compensation_basis IN ('fixed', 'basis_points')),
  ADD COLUMN compensation_value bigint CHECK (compensation_value > 0),
  ADD CONSTRAINT skus_compensation CHECK ((compensation_basis IS NULL) = (compensation_value IS NULL));

-- Compensation paid to a buyer through a provider (the outbox's pay_compensation jobs); one per effect key. The
-- sandbox provider keeps its payouts here too (it stands in for a remote provider's book).
CREATE TABLE compensation_payouts (
  idempotency_key text PRIMARY KEY,
  provider        text NOT NULL,
  provider_txn_id text NOT NULL,
  merchant_id     text NOT NULL,
  order_id        text NOT NULL,
  amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
  currency        text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  provider_ref    text,
  created_at      timestamptz NOT NULL
);
CREATE INDEX compensation_payouts_by_order ON compensation_payouts (merchant_id, order_id);
