-- Keyhold schema, version 17: a sold-out answer's held keys, read through the orders that hold them.
--
-- A claim that comes up short says how many keys orders awaiting payment hold and the first of their pay deadlines
-- (StockVault.CLAIM). Through the merchant's list index it read every order the merchant has awaiting payment, of
-- every SKU: a few at a sale of a few thousand keys, but at the sell-out of a sale of 100,000, each of the claims
-- racing for the last keys would read them all. This index holds the orders awaiting payment only, by SKU, with
-- their pay deadline (next_action_at); an order leaves it as it is paid or expires. Built CONCURRENTLY, so the
-- orders table keeps taking writes while it builds (Flyway runs this one statement outside a transaction).
CREATE INDEX CONCURRENTLY orders_awaiting_payment_by_sku ON orders (merchant_id, sku_id, next_action_at)
  WHERE state = 'awaiting_payment';
