-- Keyhold schema, version 3 (buyer side): the operator's dispute lists. A dispute lives in its order (orders.data
-- holds escrow-core's Dispute), so these are partial indexes over orders, newest first, for
-- GET /admin/v1/disputes?state=open|decided without scanning every order.
CREATE INDEX orders_disputes_open ON orders (updated_at DESC, id DESC) WHERE state = 'disputed';
CREATE INDEX orders_disputes_decided ON orders (updated_at DESC, id DESC)
  WHERE state <> 'disputed' AND jsonb_typeof(data -> 'dispute') = 'object';
