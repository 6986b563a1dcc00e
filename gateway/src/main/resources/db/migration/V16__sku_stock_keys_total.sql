-- Keyhold schema, version 16: a SKU's stock figures without counting its whole history.
--
-- The figures (available, reserved, delivered) counted every key the SKU ever had, delivered ones included, at
-- each request: ~30 ms at 230,000 keys, growing with the sales. Stock keys are never deleted, so how many a SKU ever
-- had is a count kept at upload, in the statement that stores the keys; delivered is that total less the available
-- and reserved keys, which are open stock read through their partial indexes.
ALTER TABLE skus ADD COLUMN stock_keys_total bigint NOT NULL DEFAULT 0 CHECK (stock_keys_total >= 0);
UPDATE skus s SET stock_keys_total = k.n
  FROM (SELECT merchant_id, sku_id, count(*) AS n FROM stock_keys GROUP BY merchant_id, sku_id) k
  WHERE s.merchant_id = k.merchant_id AND s.id = k.sku_id;
