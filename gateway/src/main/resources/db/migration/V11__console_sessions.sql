-- Keyhold schema, version 11 (issue 17): sessions of the shop console (/console) and the operator console (/ops).
--
-- A browser signs in with the merchant's API key or the admin token once and then holds only a random session id in
-- an HttpOnly cookie. Only the SHA-256 of that id is stored here, so a copy of this table signs nobody in. Sessions
-- live in the database, not in one gateway's memory, because several gateways serve behind one load balancer. The CSRF
-- token is kept readable: alone it is worth nothing (every request needing it also needs the cookie), and a reloaded
-- console page reads it back over its own session (GET /console/session).
CREATE TABLE console_sessions (
  id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
  kind         text NOT NULL CHECK (kind IN ('merchant', 'operator')),
  merchant_id  text REFERENCES merchants (id),
  csrf_token   text NOT NULL CHECK (length(csrf_token) BETWEEN 32 AND 100),
  created_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  CHECK ((kind = 'merchant') = (merchant_id IS NOT NULL)),
  CHECK (expires_at > created_at)
);

-- Sign-in purges expired sessions a bounded batch at a time, oldest first.
CREATE INDEX console_sessions_expiry ON console_sessions (expires_at);

-- The shop console lists a merchant's webhook deliveries, newest first, from the outbox.
CREATE INDEX outbox_webhooks_by_merchant ON outbox (merchant_id, id) WHERE kind = 'notify';
