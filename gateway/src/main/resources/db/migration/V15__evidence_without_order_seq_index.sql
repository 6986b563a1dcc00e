-- Keyhold schema, version 15 (issue 12): one index fewer to write with every evidence event.
--
-- A lifecycle writes about seven evidence events, and each wrote an entry into evidence_events_order_seq as well as
-- into the primary key (merchant_id, order_id, seq) and the fold's index. It served the statements that named an
-- order without its merchant: the reliability fold's look-up of a delivery's context and one audit invariant. Both
-- now name the merchant too and read the primary key. Its uniqueness is the primary key's already: an order id
-- belongs to one merchant (orders_id is unique, and the events' foreign key names the merchant's order).
DROP INDEX evidence_events_order_seq;
