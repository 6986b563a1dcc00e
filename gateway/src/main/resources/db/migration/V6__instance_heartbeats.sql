-- Keyhold schema, version 6 (crash recovery): every gateway instance beats here about once a second. Work an
-- instance claims (outbox rows, Idempotency-Keys of requests it runs, payments it applies) names the instance, so
-- when its beats stop (killed, cut off) any other instance hands the claims back within seconds instead of waiting
-- for their leases (a minute for the outbox).
CREATE TABLE gateway_instances (
  id         text PRIMARY KEY CHECK (id ~ '^gwi_[a-z2-7]{24}$'),
  started_at timestamptz NOT NULL,
  beat_at    timestamptz NOT NULL
);

ALTER TABLE outbox ADD COLUMN claimed_by text CHECK (length(claimed_by) <= 64);
CREATE INDEX outbox_claimed_by ON outbox (claimed_by) WHERE state = 'pending' AND claimed_by IS NOT NULL;

-- claim_token tells two runs of one key apart: a request whose claim was handed over can no longer store its answer.
ALTER TABLE idempotency_records
  ADD COLUMN holder text CHECK (length(holder) <= 64),
  ADD COLUMN claim_token text CHECK (length(claim_token) <= 64);
CREATE INDEX idempotency_records_holder ON idempotency_records (holder) WHERE state = 'in_progress';

ALTER TABLE payments ADD COLUMN claimed_by text CHECK (length(claimed_by) <= 64);
CREATE INDEX payments_claimed_by ON payments (claimed_by) WHERE claimed_by IS NOT NULL;
