package io.keyhold.simulator.audit;

import static io.keyhold.simulator.audit.Books.minor;

import io.keyhold.simulator.audit.Books.Entry;
import io.keyhold.simulator.client.OrderView;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * The checks of {@link Books#audit}: the invariants a buyer can see from outside the gateway, judged
 * on what the books recorded — money per order, keys across buyers, stock per SKU, deadlines, and
 * duplicate uploads refused.
 */
final class BooksAudit {

  private BooksAudit() {}

  static List<Violation> check(Books books, Duration sweeperLag) {
    Objects.requireNonNull(sweeperLag, "sweeperLag");
    List<Entry> entries = books.entries();
    List<Violation> violations = new ArrayList<>();
    checkMoney(entries, violations);
    checkKeys(entries, violations);
    checkStock(entries, books.stockBySku(), violations);
    checkDeadlines(entries, violations, sweeperLag);
    List<String> acceptedDuplicateUploads = books.acceptedDuplicateUploads();
    if (!acceptedDuplicateUploads.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.DUPLICATE_UPLOAD_ACCEPTED, "the gateway accepted "
          + acceptedDuplicateUploads.size() + " upload(s) of a key it already held (SKUs "
          + new LinkedHashSet<>(acceptedDuplicateUploads) + ")", List.of()));
    }
    return violations;
  }

  private static void checkMoney(List<Entry> entries, List<Violation> violations) {
    List<String> mismatched = new ArrayList<>();
    List<String> overpaid = new ArrayList<>();
    List<String> refusedButTaken = new ArrayList<>();
    long mismatchMinor = 0;
    for (Entry entry : entries) {
      if (entry.last() == null) {
        continue;
      }
      long in = minor(entry.paid());
      long maybe = minor(entry.unknown());
      long refused = minor(entry.refused());
      long out = minor(entry.released()) + minor(entry.refunded());
      boolean matches = in == out || in + maybe == out;
      // The money only adds up if a payment the gateway refused was taken after all.
      boolean refusedTaken = refused > 0 && (in + refused == out || in + maybe + refused == out
          || (!entry.last().terminal() && out > in + maybe && out <= in + maybe + refused));
      if (refusedTaken) {
        refusedButTaken.add(entry.orderId());
      } else if (entry.last().terminal() && !matches) {
        mismatched.add(entry.orderId());
        mismatchMinor += in - out;
      } else if (out > in + maybe) {
        overpaid.add(entry.orderId());
      }
    }
    if (!refusedButTaken.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.REFUSED_PAYMENT_TAKEN, refusedButTaken.size()
          + " order(s) whose payment confirmation the gateway refused with a server error through every retry,"
          + " yet the payment was taken", refusedButTaken));
    }
    if (!mismatched.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.MONEY_MISMATCH, mismatched.size() + " terminal order(s) where paid"
          + " differs from released + refunded (net " + mismatchMinor + " minor units unaccounted)", mismatched));
    }
    if (!overpaid.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.PAID_OUT_MORE_THAN_IN, overpaid.size()
          + " order(s) released + refunded more than the buyer paid", overpaid));
    }
  }

  private static void checkKeys(List<Entry> entries, List<Violation> violations) {
    Map<String, Holder> owners = new TreeMap<>();
    Set<String> twoBuyers = new LinkedHashSet<>();
    Set<String> twiceToBuyer = new LinkedHashSet<>();
    List<String> sharedKeys = new ArrayList<>();
    List<String> withoutKey = new ArrayList<>();
    for (Entry entry : entries) {
      for (Map.Entry<Integer, String> key : entry.keys().entrySet()) {
        Holder holder = new Holder(entry.orderId(), key.getKey(), entry.buyerRef());
        Holder first = owners.putIfAbsent(key.getValue(), holder);
        if (first == null || first.sameUnit(holder)) {
          continue;
        }
        if (first.buyerRef.equals(holder.buyerRef)) {
          twiceToBuyer.add(first.orderId);
          twiceToBuyer.add(holder.orderId);
        } else {
          twoBuyers.add(first.orderId);
          twoBuyers.add(holder.orderId);
          sharedKeys.add(KeyFingerprint.shown(key.getValue()));
        }
      }
      if (entry.revealed() && entry.last() != null) {
        for (OrderView.Unit unit : entry.last().units()) {
          if (OrderView.SOLD_UNIT_STATES.contains(unit.state()) && !entry.keys().containsKey(unit.index())) {
            withoutKey.add(entry.orderId());
            break;
          }
        }
      }
    }
    if (!twoBuyers.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.KEY_TO_TWO_BUYERS, sharedKeys.size()
          + " key(s) shown to two different buyers (fingerprints " + sharedKeys.subList(0, Math.min(10,
          sharedKeys.size())) + ")", twoBuyers));
    }
    if (!twiceToBuyer.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.KEY_TWICE_TO_BUYER,
          "a buyer was shown the same key for two different units", twiceToBuyer));
    }
    if (!withoutKey.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.RELEASED_WITHOUT_KEY, withoutKey.size()
          + " revealed order(s) with a valid or released unit that showed no key", withoutKey));
    }
  }

  private static void checkStock(List<Entry> entries, Map<String, Integer> stockBySku, List<Violation> violations) {
    Map<String, Integer> sold = new LinkedHashMap<>();
    Map<String, List<String>> soldOrders = new LinkedHashMap<>();
    Map<String, Set<String>> revealedKeys = new LinkedHashMap<>();
    for (Entry entry : entries) {
      int units = 0;
      if (entry.last() != null) {
        for (OrderView.Unit unit : entry.last().units()) {
          if (OrderView.SOLD_UNIT_STATES.contains(unit.state())) {
            units++;
          }
        }
      }
      if (units > 0) {
        sold.merge(entry.skuId(), units, Integer::sum);
        soldOrders.computeIfAbsent(entry.skuId(), k -> new ArrayList<>()).add(entry.orderId());
      }
      revealedKeys.computeIfAbsent(entry.skuId(), k -> new LinkedHashSet<>()).addAll(entry.keys().values());
    }
    for (Map.Entry<String, Integer> sku : stockBySku.entrySet()) {
      int soldUnits = sold.getOrDefault(sku.getKey(), 0);
      int shownKeys = revealedKeys.getOrDefault(sku.getKey(), Set.of()).size();
      if (soldUnits > sku.getValue() || shownKeys > sku.getValue()) {
        violations.add(Violation.of(ViolationCodes.OVERSOLD, "SKU " + sku.getKey() + " had " + sku.getValue()
            + " keys but " + soldUnits + " units were sold and " + shownKeys + " distinct keys shown",
            soldOrders.getOrDefault(sku.getKey(), List.of())));
      }
    }
  }

  private static void checkDeadlines(List<Entry> entries, List<Violation> violations, Duration sweeperLag) {
    List<String> overdue = new ArrayList<>();
    List<String> unobserved = new ArrayList<>();
    Map<String, Integer> overdueByState = new TreeMap<>();
    for (Entry entry : entries) {
      if (entry.last() == null) {
        unobserved.add(entry.orderId());
        continue;
      }
      Instant deadline = entry.last().deadlineForState();
      if (deadline != null && entry.lastSeenAt().isAfter(deadline.plus(sweeperLag))) {
        overdue.add(entry.orderId());
        overdueByState.merge(entry.last().state(), 1, Integer::sum);
      }
    }
    if (!overdue.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.OVERDUE, overdue.size() + " order(s) still not terminal "
          + sweeperLag.toSeconds() + " s after their deadline, by state " + overdueByState, overdue));
    }
    if (!unobserved.isEmpty()) {
      violations.add(Violation.of(ViolationCodes.UNOBSERVED, unobserved.size()
          + " order(s) could not be read at the end, so they could not be audited", unobserved));
    }
  }

  private record Holder(String orderId, int unit, String buyerRef) {
    boolean sameUnit(Holder other) {
      return orderId.equals(other.orderId) && unit == other.unit;
    }
  }
}
