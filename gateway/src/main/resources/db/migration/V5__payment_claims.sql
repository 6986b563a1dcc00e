-- Keyhold schema, version 5 (order engine): one handler per payment at a time. Repeated notices of one payment may
-- arrive at once (on one gateway or several); the first claims the payment row (claim_token, until claimed_until),
-- the others wait for its outcome. A claim left by a crashed handler lapses at claimed_until.
ALTER TABLE payments
  ADD COLUMN claim_token text CHECK (length(claim_token) <= 64),
  ADD COLUMN claimed_until timestamptz;
