-- Keyhold schema, version 12 (issue 12): one index fewer to write on every change of an order.
--
-- A buyer's token is checked by the order's id: the row is found by id and its token_hash compared in constant
-- time, never looked up by hash. The unique index on token_hash was read by no query; it only guarded against two
-- orders sharing a token, which 256 random bits rule out, and which would open nothing anyway (a token opens its own
-- order's id only). Yet no update of an order is HOT (its state and due time are indexed), so every change wrote a
-- new entry into this index too, on a random page: WAL and work on the hottest table, for nothing.
DROP INDEX orders_token_hash;
