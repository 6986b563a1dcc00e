-- Keyhold schema, version 8 (merchant reliability, issue 14): per-merchant daily counts folded from the evidence,
-- so a merchant's score reads at most a window's days of rows, never the evidence itself.
--
-- Every evidence row now names the transaction that wrote it (top-level xid). The fold reads rows in
-- (tx, order_id, seq) order, and only rows of transactions older than every transaction still running
-- (tx < pg_snapshot_xmin(pg_current_snapshot())), which are all finished: a row committed late by a slow
-- transaction is therefore never passed by the cursor. Rows written before this version share the
-- migration's xid and are folded on the first runs.
ALTER TABLE evidence_events ADD COLUMN tx xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX evidence_events_fold ON evidence_events (tx, order_id, seq);

-- The one fold cursor: the last evidence row folded. Claimed with FOR UPDATE SKIP LOCKED, so one instance folds
-- at a time and the others skip; the counts and the cursor move in one transaction.
CREATE TABLE merchant_stats_cursor (
  name          text PRIMARY KEY CHECK (name = 'evidence'),
  tx            xid8 NOT NULL DEFAULT '0',
  order_id      text NOT NULL DEFAULT '',
  seq           bigint NOT NULL DEFAULT 0 CHECK (seq >= 0),
  events_folded bigint NOT NULL DEFAULT 0 CHECK (events_folded >= 0),
  folded_at     timestamptz
);
INSERT INTO merchant_stats_cursor (name) VALUES ('evidence');

-- One row per merchant and UTC day of the events counted (see docs/operations.md, "Merchant reliability").
-- delivery_ms_buckets: counts of first-key delivery times on a fixed log scale (DeliveryTimes in the
-- engine), so days add up element by element and a window's median and p95 come from the sum.
CREATE TABLE merchant_stats_daily (
  merchant_id          text NOT NULL REFERENCES merchants (id),
  day                  date NOT NULL,
  deliveries_on_time   bigint NOT NULL DEFAULT 0 CHECK (deliveries_on_time >= 0),
  deliveries_late      bigint NOT NULL DEFAULT 0 CHECK (deliveries_late >= 0),
  keys_checked         bigint NOT NULL DEFAULT 0 CHECK (keys_checked >= 0),
  keys_invalid         bigint NOT NULL DEFAULT 0 CHECK (keys_invalid >= 0),
  resupplies_succeeded bigint NOT NULL DEFAULT 0 CHECK (resupplies_succeeded >= 0),
  resupplies_failed    bigint NOT NULL DEFAULT 0 CHECK (resupplies_failed >= 0),
  orders_closed        bigint NOT NULL DEFAULT 0 CHECK (orders_closed >= 0),
  orders_refunded      bigint NOT NULL DEFAULT 0 CHECK (orders_refunded >= 0),
  disputes_decided     bigint NOT NULL DEFAULT 0 CHECK (disputes_decided >= 0),
  disputes_lost        bigint NOT NULL DEFAULT 0 CHECK (disputes_lost >= 0),
  delivery_ms_buckets  bigint[] NOT NULL,
  PRIMARY KEY (merchant_id, day)
);
-- The operator's ranking reads every merchant's rows of the window.
CREATE INDEX merchant_stats_daily_by_day ON merchant_stats_daily (day);
