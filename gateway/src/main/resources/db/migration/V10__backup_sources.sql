-- Keyhold schema, version 10 (issue 14): a SKU's backup sources.
--
-- The operator links, in order, the SKUs a unit is tried at when the SKU's own merchant cannot supply it: another
-- merchant's SKU, or a second stock pool of the same merchant, in the same currency and at a price no higher (checked
-- by the API when linked). Checkout copies the list onto the order (orders.data 'backups'), so a later change never
-- reaches an order already placed. At most 3 (escrow-core Order.BACKUP_SOURCES_MAX).
CREATE TABLE sku_backup_sources (
  merchant_id        text NOT NULL,
  sku_id             text NOT NULL,
  position           integer NOT NULL CHECK (position BETWEEN 1 AND 3),
  backup_merchant_id text NOT NULL,
  backup_sku_id      text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (merchant_id, sku_id, position),
  UNIQUE (merchant_id, sku_id, backup_merchant_id, backup_sku_id),
  FOREIGN KEY (merchant_id, sku_id) REFERENCES skus (merchant_id, id),
  FOREIGN KEY (backup_merchant_id, backup_sku_id) REFERENCES skus (merchant_id, id),
  CHECK (NOT (merchant_id = backup_merchant_id AND sku_id = backup_sku_id))
);

-- Which source delivered a key: NULL for the order's own merchant, '<merchant>/<sku>' for a backup source. A key a
-- unit already got from one source and offered again by another is a duplicate, never the same delivery repeated.
ALTER TABLE delivered_keys ADD COLUMN supplier text CHECK (length(supplier) BETWEEN 3 AND 200);
