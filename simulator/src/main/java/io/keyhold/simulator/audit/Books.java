package io.keyhold.simulator.audit;

import io.keyhold.simulator.client.Amount;
import io.keyhold.simulator.client.OrderView;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The simulator's own books: what each buyer paid for which order, which keys each buyer was shown
 * (as fingerprints), how much stock each SKU had, and the last view of every order. {@link #audit}
 * checks them against the invariants a buyer can see from outside the gateway (the checks are
 * {@code BooksAudit}'s); it is pure code, given the time to judge deadlines by.
 *
 * <p>Not thread-safe: written on the simulation's event-loop context, audited after the run.
 */
public final class Books {
  private final Map<String, Entry> orders = new LinkedHashMap<>();
  private final Map<String, Integer> stockBySku = new LinkedHashMap<>();
  private final List<String> acceptedDuplicateUploads = new ArrayList<>();
  private int refusedDuplicateUploads;

  /** A SKU put on sale with {@code keys} keys (those accepted by the gateway, or held by a remote shop). */
  public void stock(String skuId, int keys) {
    stockBySku.merge(skuId, keys, Integer::sum);
  }

  /** The outcome of uploading a key the gateway already held: it must be refused. */
  public void duplicateUpload(String skuId, boolean refused) {
    if (refused) {
      refusedDuplicateUploads++;
    } else {
      acceptedDuplicateUploads.add(skuId);
    }
  }

  /** A checkout created an order. */
  public void opened(String orderId, String buyerRef, String skuId, int quantity, Amount unitPrice) {
    if (orders.putIfAbsent(orderId, new Entry(orderId, buyerRef, skuId, quantity, unitPrice)) != null) {
      throw new IllegalStateException("order " + orderId + " was opened twice in the books");
    }
  }

  /** The payment provider took the buyer's money for the order (a payment confirmed); counted once per payment id. */
  public void paid(String orderId, String paymentId, Amount amount) {
    Entry entry = entry(orderId);
    if (entry.paymentIds.add(paymentId)) {
      entry.paid = entry.paid == null ? amount : entry.paid.plus(amount);
    }
  }

  /**
   * A payment whose confirmation got no answer: the buyer may or may not have paid. The money check
   * of its order accepts either.
   */
  public void paymentUnknown(String orderId, String paymentId, Amount amount) {
    Entry entry = entry(orderId);
    if (!entry.paymentIds.contains(paymentId) && entry.unknownPaymentIds.add(paymentId)) {
      entry.unknown = entry.unknown == null ? amount : entry.unknown.plus(amount);
    }
  }

  /**
   * A payment whose confirmation the gateway refused with a server error through every retry: by the
   * API's word it was not taken. If the order's money says otherwise, the audit names it.
   */
  public void paymentRefused(String orderId, String paymentId, Amount amount) {
    Entry entry = entry(orderId);
    if (!entry.paymentIds.contains(paymentId) && entry.refusedPaymentIds.add(paymentId)) {
      entry.refused = entry.refused == null ? amount : entry.refused.plus(amount);
    }
  }

  /** The buyer saw the order's keys (a reveal answer) at {@code at}; keeps fingerprints only. */
  public void revealed(String orderId, OrderView withKeys, Instant at) {
    Entry entry = entry(orderId);
    entry.revealed = true;
    for (OrderView.Unit unit : withKeys.units()) {
      if (unit.key() != null && !unit.key().isEmpty()) {
        entry.keys.put(unit.index(), KeyFingerprint.of(unit.key()));
      }
    }
    observed(withKeys, at);
  }

  /**
   * The latest view of an order (an event, a poll, the last look) and when it was seen: deadlines are
   * judged at the moment of the view, so a stale view never makes an order look late.
   */
  public void observed(OrderView view, Instant at) {
    Entry entry = orders.get(view.id());
    if (entry != null) {
      entry.last = view;
      entry.lastSeenAt = at;
    }
  }

  /**
   * Orders worth another look before the audit, since asynchronous work may still be landing: never
   * seen, terminal while the money does not match yet (a duplicate payment's refund), or paid but not
   * funded yet (a notice in flight).
   */
  public List<String> unsettled() {
    List<String> ids = new ArrayList<>();
    for (Entry entry : orders.values()) {
      long in = minor(entry.paid);
      long out = minor(entry.released()) + minor(entry.refunded());
      boolean unseen = entry.last == null;
      boolean moneyOpen = !unseen && entry.last.terminal() && in != out && in + minor(entry.unknown) != out;
      boolean noticeOpen = !unseen && in > 0 && OrderView.AWAITING_PAYMENT.equals(entry.last.state());
      if (unseen || moneyOpen || noticeOpen) {
        ids.add(entry.orderId);
      }
    }
    return ids;
  }

  /** The orders, in the order they were opened. */
  public List<Entry> entries() {
    return List.copyOf(orders.values());
  }

  public Map<String, Integer> stockBySku() {
    return Collections.unmodifiableMap(stockBySku);
  }

  public int refusedDuplicateUploads() {
    return refusedDuplicateUploads;
  }

  private Entry entry(String orderId) {
    Entry entry = orders.get(orderId);
    if (entry == null) {
      throw new IllegalStateException("order " + orderId + " is not in the books");
    }
    return entry;
  }

  /** Paid, released, refunded and held, summed over all orders, in minor units of the run's currency. */
  public Totals totals() {
    long paid = 0;
    long released = 0;
    long refunded = 0;
    long held = 0;
    for (Entry entry : orders.values()) {
      long in = minor(entry.paid);
      long out = minor(entry.released()) + minor(entry.refunded());
      paid += in;
      released += minor(entry.released());
      refunded += minor(entry.refunded());
      if (entry.last == null || !entry.last.terminal()) {
        held += Math.max(0, in - out);
      }
    }
    return new Totals(paid, released, refunded, held);
  }

  /**
   * Checks the books: money per order, keys across buyers, stock per SKU, deadlines (an order seen
   * not terminal later than its deadline plus {@code sweeperLag}), keys actually shown for what was
   * released.
   */
  public List<Violation> audit(Duration sweeperLag) {
    return BooksAudit.check(this, sweeperLag);
  }

  /** Where uploads of a key the gateway already held were accepted (one SKU id per upload). */
  List<String> acceptedDuplicateUploads() {
    return Collections.unmodifiableList(acceptedDuplicateUploads);
  }

  static long minor(Amount amount) {
    return amount == null ? 0 : amount.minor();
  }

  /** One order in the books. */
  public static final class Entry {
    private final String orderId;
    private final String buyerRef;
    private final String skuId;
    private final int quantity;
    private final Amount unitPrice;
    private final Set<String> paymentIds = new LinkedHashSet<>();
    private final Set<String> unknownPaymentIds = new LinkedHashSet<>();
    private final Set<String> refusedPaymentIds = new LinkedHashSet<>();
    private final Map<Integer, String> keys = new TreeMap<>();
    private Amount paid;
    private Amount unknown;
    private Amount refused;
    private boolean revealed;
    private OrderView last;
    private Instant lastSeenAt;

    private Entry(String orderId, String buyerRef, String skuId, int quantity, Amount unitPrice) {
      this.orderId = Objects.requireNonNull(orderId, "orderId");
      this.buyerRef = Objects.requireNonNull(buyerRef, "buyerRef");
      this.skuId = Objects.requireNonNull(skuId, "skuId");
      this.quantity = quantity;
      this.unitPrice = unitPrice;
    }

    public String orderId() {
      return orderId;
    }

    public String buyerRef() {
      return buyerRef;
    }

    public String skuId() {
      return skuId;
    }

    public int quantity() {
      return quantity;
    }

    public Amount unitPrice() {
      return unitPrice;
    }

    /** What the buyer paid in, or null when nothing. */
    public Amount paid() {
      return paid;
    }

    public int payments() {
      return paymentIds.size();
    }

    public boolean revealed() {
      return revealed;
    }

    /** The last view of the order, or null when it was never seen. */
    public OrderView last() {
      return last;
    }

    public String state() {
      return last == null ? "unknown" : last.state();
    }

    /** What confirmations without an answer may have paid in, or null when none. */
    Amount unknown() {
      return unknown;
    }

    /** What confirmations the gateway refused through every retry would have paid in, or null when none. */
    Amount refused() {
      return refused;
    }

    /** The fingerprints of the keys the buyer was shown, by unit index. */
    Map<Integer, String> keys() {
      return Collections.unmodifiableMap(keys);
    }

    /** When {@link #last()} was seen, or null when never. */
    Instant lastSeenAt() {
      return lastSeenAt;
    }

    Amount released() {
      return last == null ? null : last.released();
    }

    Amount refunded() {
      return last == null ? null : last.refunded();
    }

    public JsonObject toJson() {
      return new JsonObject().put("order_id", orderId).put("buyer_ref", buyerRef).put("sku_id", skuId)
          .put("quantity", quantity).put("state", state()).put("paid", minor(paid))
          .put("payments", paymentIds.size()).put("payments_unknown", unknownPaymentIds.size())
          .put("payments_refused", refusedPaymentIds.size())
          .put("released", minor(released())).put("refunded", minor(refunded())).put("revealed", revealed)
          .put("keys_shown", keys.size());
    }
  }

  /**
   * Money in minor units over all orders of the run.
   *
   * @param paid what buyers paid in
   * @param released what was released towards shops (before the fee)
   * @param refunded what went back to buyers
   * @param held what non-terminal orders still hold in escrow
   */
  public record Totals(long paid, long released, long refunded, long held) {
    /** {@code paid = released + refunded + held}: the buyer-side face of invariant 7. */
    public boolean balanced() {
      return paid == released + refunded + held;
    }

    public JsonObject toJson() {
      return new JsonObject().put("paid", paid).put("released", released).put("refunded", refunded)
          .put("held", held).put("balanced", balanced());
    }
  }
}
