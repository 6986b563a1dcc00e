package io.keyhold.gateway.engine;

import io.keyhold.escrow.EvidenceType;
import io.keyhold.escrow.KeyVerdict;
import io.keyhold.escrow.RefundReason;
import io.keyhold.escrow.ReplacementReason;
import io.keyhold.gateway.store.MerchantStats.Counts;
import io.keyhold.gateway.store.MerchantStats.Day;
import io.keyhold.gateway.store.MerchantStats.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a batch of evidence events counts for, per merchant and UTC day of the event. Pure: the caller hands the
 * batch and, for the orders whose first keys it holds, their terms, funding and missed delivery deadlines.
 *
 * <ul>
 *   <li>a unit's first key ({@code unit.key_delivered}, delivery 1) is on time when it arrived before the order's
 *       deliver-by (funded at + the terms' {@code deliver_within_seconds}), else late; its delivery time goes to
 *       the {@link DeliveryTimes} buckets;</li>
 *   <li>a delivery deadline that passed without a key ({@code unit.replacement_requested}, reason
 *       {@code not_delivered}) is late at once, and that unit's key arriving afterwards is not counted again;</li>
 *   <li>a key checked: a definite verdict ({@code unit.checked} valid, invalid or redeemed) or a key found sold
 *       twice ({@code unit.duplicate_key}); invalid: invalid, redeemed or sold twice. An unknown verdict is the
 *       validator's, not the shop's;</li>
 *   <li>a resupply succeeded when a replacement key arrived (delivery 2 and later), failed for each unit refunded
 *       because its resupply window closed or its attempts ran out;</li>
 *   <li>an order closed: released, refunded or partly refunded, except a buyer's cancellation (the buyer's choice
 *       says nothing about the shop); refunded: refunded or partly refunded;</li>
 *   <li>a dispute decided, and lost when the arbiter refunded at least one unit.</li>
 * </ul>
 */
final class EvidenceTally {
  private static final Set<String> BAD_VERDICTS = Set.of(KeyVerdict.INVALID.code(), KeyVerdict.REDEEMED.code());
  private static final Set<String> DEFINITE_VERDICTS = Set.of(KeyVerdict.VALID.code(), KeyVerdict.INVALID.code(),
      KeyVerdict.REDEEMED.code());
  private static final Set<String> RESUPPLY_FAILURES = Set.of("resupply_window_closed", "resupply_attempts_exhausted");

  private EvidenceTally() {}

  /** Orders of the batch whose context {@link #tally} needs (those with a unit's first key), each with its merchant. */
  static Map<String, String> ordersNeedingContext(List<Event> batch) {
    Map<String, String> merchantOfOrder = new HashMap<>();
    for (Event event : batch) {
      if (isFirstKey(event)) {
        merchantOfOrder.put(event.orderId(), event.merchantId());
      }
    }
    return merchantOfOrder;
  }

  static Map<Day, Counts> tally(List<Event> batch, List<Event> context) {
    Map<String, Terms> terms = terms(context);
    Map<Day, Tally> days = new LinkedHashMap<>();
    for (Event event : batch) {
      EvidenceType type;
      try {
        type = EvidenceType.fromCode(event.type());
      } catch (IllegalArgumentException unknown) {
        continue;
      }
      Tally day = days.computeIfAbsent(Day.of(event.merchantId(), event.at()), d -> new Tally());
      switch (type) {
        case UNIT_KEY_DELIVERED -> {
          if (isFirstKey(event)) {
            firstKey(day, event, terms.get(event.orderId()));
          } else {
            day.resuppliesSucceeded++;
          }
        }
        case UNIT_REPLACEMENT_REQUESTED -> {
          if (ReplacementReason.NOT_DELIVERED.code().equals(event.detail("reason"))) {
            day.late++;
          }
        }
        case UNIT_CHECKED -> {
          String verdict = event.detail("verdict");
          if (DEFINITE_VERDICTS.contains(verdict)) {
            day.checked++;
            day.invalid += BAD_VERDICTS.contains(verdict) ? 1 : 0;
          }
        }
        case UNIT_DUPLICATE_KEY -> {
          day.checked++;
          day.invalid++;
        }
        case UNITS_REFUNDED -> day.resupplyFailed += resupplyFailures(event);
        case ORDER_RELEASED, ORDER_REFUNDED, ORDER_PARTIALLY_REFUNDED -> {
          day.resupplyFailed += resupplyFailures(event);
          if (!RefundReason.CANCELLED.code().equals(event.detail("refund_reason"))) {
            day.closed++;
            day.refunded += type == EvidenceType.ORDER_RELEASED ? 0 : 1;
          }
        }
        case DISPUTE_DECIDED -> {
          day.disputes++;
          day.lost += units(event.detail("refund_units")) > 0 ? 1 : 0;
        }
        default -> { }
      }
    }
    Map<Day, Counts> counts = new LinkedHashMap<>();
    days.forEach((day, tally) -> {
      if (!tally.isEmpty()) {
        counts.put(day, tally.counts());
      }
    });
    return counts;
  }

  private static void firstKey(Tally day, Event event, Terms terms) {
    String unit = event.detail("unit");
    if (terms == null || terms.fundedAt == null || terms.deliverWithin == null) {
      // A key before any funding cannot happen in escrow-core; counted as neither rather than guessed.
      return;
    }
    day.buckets[DeliveryTimes.bucketOf(Math.max(0, Duration.between(terms.fundedAt, event.at()).toMillis()))]++;
    if (terms.missedUnits.contains(unit)) {
      // Already counted late when its deadline passed without it.
      return;
    }
    if (event.at().isBefore(terms.fundedAt.plus(terms.deliverWithin))) {
      day.onTime++;
    } else {
      day.late++;
    }
  }

  private static boolean isFirstKey(Event event) {
    return EvidenceType.UNIT_KEY_DELIVERED.code().equals(event.type()) && "1".equals(event.detail("delivery"));
  }

  private static long resupplyFailures(Event event) {
    return RESUPPLY_FAILURES.contains(event.detail("cause")) ? units(event.detail("refunded_units")) : 0;
  }

  /** How many unit indices a comma-separated list holds. */
  private static long units(String list) {
    return list == null || list.isBlank() ? 0 : list.split(",").length;
  }

  private static Map<String, Terms> terms(List<Event> context) {
    Map<String, Terms> terms = new HashMap<>();
    for (Event event : context) {
      Terms order = terms.computeIfAbsent(event.orderId(), id -> new Terms());
      if (EvidenceType.ORDER_PLACED.code().equals(event.type())) {
        String seconds = event.detail("deliver_within_seconds");
        order.deliverWithin = seconds == null ? null : Duration.ofSeconds(Long.parseLong(seconds));
      } else if (EvidenceType.ORDER_FUNDED.code().equals(event.type())) {
        order.fundedAt = order.fundedAt == null ? event.at() : order.fundedAt;
      } else if (EvidenceType.UNIT_REPLACEMENT_REQUESTED.code().equals(event.type())
          && ReplacementReason.NOT_DELIVERED.code().equals(event.detail("reason"))) {
        order.missedUnits.add(event.detail("unit"));
      }
    }
    return terms;
  }

  private static final class Terms {
    Duration deliverWithin;
    Instant fundedAt;
    final Set<String> missedUnits = new HashSet<>();
  }

  private static final class Tally {
    long onTime;
    long late;
    long checked;
    long invalid;
    long resuppliesSucceeded;
    long resupplyFailed;
    long closed;
    long refunded;
    long disputes;
    long lost;
    final long[] buckets = new long[DeliveryTimes.BUCKETS];

    boolean isEmpty() {
      return onTime + late + checked + invalid + resuppliesSucceeded + resupplyFailed + closed + refunded + disputes
          + lost == 0 && Arrays.stream(buckets).allMatch(b -> b == 0);
    }

    Counts counts() {
      return new Counts(onTime, late, checked, invalid, resuppliesSucceeded, resupplyFailed, closed, refunded,
          disputes, lost, buckets);
    }
  }
}
