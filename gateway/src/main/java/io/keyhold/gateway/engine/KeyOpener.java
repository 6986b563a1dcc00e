package io.keyhold.gateway.engine;

import io.vertx.core.Future;
import java.util.List;
import java.util.Map;

/**
 * Opens delivered card keys for the buyer's view: key reference to the key in the clear. The buyer
 * side asks only for the references escrow-core lets the buyer see
 * ({@link io.keyhold.escrow.Order#keyRefsVisibleToBuyer()}); the answer goes straight into an HTTP
 * body and is never logged.
 */
@FunctionalInterface
public interface KeyOpener {
  Future<Map<String, String>> open(String merchantId, String orderId, List<String> keyRefs);
}
