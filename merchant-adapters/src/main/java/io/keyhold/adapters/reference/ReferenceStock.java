package io.keyhold.adapters.reference;

import io.keyhold.escrow.KeyVerdict;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * The reference merchant's shop and issuer, in memory: free keys per SKU, reservations, the key given
 * for every order and unit, replacements, and what the issuer knows of every key. It applies the
 * rules of PROTOCOL.md sections 4 to 6 and the key faults. Not thread-safe: used only from the
 * reference merchant's event loop.
 */
final class ReferenceStock {

  /** Longest a reservation is held, whatever {@code until} asked. */
  static final long HOLD_SECONDS_MAX = 24 * 3600;
  private static final int KEY_DIGITS = 16;
  /** Makes a key display reversed from where it stands: the kind of character a card key must never hold. */
  private static final char RIGHT_TO_LEFT_OVERRIDE = '\u202E';

  private final Clock clock;
  private final SplittableRandom random;
  private final Map<String, Deque<String>> freeKeys = new LinkedHashMap<>();
  private final Map<String, Reservation> reservations = new HashMap<>();
  private final Map<String, Order> orders = new HashMap<>();
  /** Every key the issuer knows (real keys); made-up keys are absent. */
  private final Set<String> issued = new HashSet<>();
  private final Set<String> redeemed = new HashSet<>();
  /** Keys handed out, in order, with their order, for the duplicate-key fault. */
  private final List<String> handedOut = new ArrayList<>();
  private final Map<String, String> orderOfKey = new HashMap<>();

  ReferenceStock(Map<String, Integer> stock, Clock clock, SplittableRandom random) {
    this.clock = clock;
    this.random = random;
    stock.forEach((sku, count) -> {
      Deque<String> keys = new ArrayDeque<>(count);
      while (keys.size() < count) {
        String key = luhnKey(true);
        if (issued.add(key)) {
          keys.add(key);
        }
      }
      freeKeys.put(sku, keys);
    });
  }

  private enum Status { HELD, CANCELLED, EXPIRED, CONSUMED }

  private static final class Reservation {
    final String sku;
    final int quantity;
    final Instant expiresAt;
    final Deque<String> held;
    Status status = Status.HELD;
    String consumedBy;

    Reservation(String sku, int quantity, Instant expiresAt, Deque<String> held) {
      this.sku = sku;
      this.quantity = quantity;
      this.expiresAt = expiresAt;
      this.held = held;
    }
  }

  private static final class Order {
    final String sku;
    final SortedMap<Integer, String> keyByUnit = new TreeMap<>();
    final Map<String, String> replacementByUnitAttempt = new HashMap<>();

    Order(String sku) {
      this.sku = sku;
    }
  }

  /** The answer to a reservation: its expiry. Same id, same answer. */
  Instant reserve(String reservationId, String sku, int quantity, Instant until) {
    Reservation known = reservations.get(reservationId);
    if (known != null) {
      if (!known.sku.equals(sku) || known.quantity != quantity) {
        throw new ProtocolProblem(409, "idempotency_conflict",
            "reservation " + reservationId + " was made for another sku or quantity");
      }
      return known.expiresAt;
    }
    Deque<String> free = requireSku(sku);
    Instant now = clock.instant();
    if (!until.isAfter(now)) {
      throw ProtocolProblem.badRequest("until must be in the future");
    }
    if (free.size() < quantity) {
      throw new ProtocolProblem(409, "out_of_stock", "sku " + sku + " has " + free.size() + " keys left, "
          + quantity + " asked");
    }
    Deque<String> held = new ArrayDeque<>(quantity);
    for (int i = 0; i < quantity; i++) {
      held.add(free.poll());
    }
    Instant cap = now.plusSeconds(HOLD_SECONDS_MAX);
    Instant expiresAt = until.isAfter(cap) ? cap : until;
    reservations.put(reservationId, new Reservation(sku, quantity, expiresAt, held));
    return expiresAt;
  }

  /** Cancels a hold; true when done or nothing was held, a problem when a delivery used it. */
  void cancel(String reservationId) {
    Reservation reservation = reservations.get(reservationId);
    if (reservation == null) {
      return;
    }
    expireIfDue(reservation);
    if (reservation.status == Status.CONSUMED) {
      throw new ProtocolProblem(409, "reservation_consumed", "reservation " + reservationId + " was used by an order");
    }
    if (reservation.status == Status.HELD) {
      release(reservation);
      reservation.status = Status.CANCELLED;
    }
  }

  /** The keys of the asked units that can be served (the others are pending). */
  SortedMap<Integer, String> deliver(String orderId, String sku, String reservationId, List<Integer> units,
      Faults faults) {
    Order order = orders.get(orderId);
    if (order != null && !order.sku.equals(sku)) {
      throw new ProtocolProblem(409, "idempotency_conflict", "order " + orderId + " was placed for another sku");
    }
    Deque<String> free = requireSku(sku);
    Reservation reservation = null;
    if (reservationId != null) {
      reservation = reservations.get(reservationId);
      if (reservation == null) {
        throw new ProtocolProblem(404, "unknown_reservation", "reservation " + reservationId + " was never made");
      }
      if (!reservation.sku.equals(sku)) {
        throw ProtocolProblem.badRequest("reservation " + reservationId + " is for another sku");
      }
      expireIfDue(reservation);
      if (reservation.status == Status.CONSUMED && !orderId.equals(reservation.consumedBy)) {
        throw new ProtocolProblem(409, "reservation_consumed", "reservation " + reservationId + " was used by another order");
      }
    }
    Order target = order != null ? order : new Order(sku);
    SortedMap<Integer, String> answer = new TreeMap<>();
    for (int unit : units) {
      String key = target.keyByUnit.get(unit);
      if (key == null) {
        boolean fromReservation = reservation != null
            && (reservation.status == Status.HELD || reservation.status == Status.CONSUMED)
            && !reservation.held.isEmpty();
        key = nextKey(fromReservation ? reservation.held : free, orderId, faults);
        if (key == null) {
          continue;
        }
        if (fromReservation) {
          reservation.status = Status.CONSUMED;
          reservation.consumedBy = orderId;
        }
        target.keyByUnit.put(unit, key);
        handOut(key, orderId);
      }
      answer.put(unit, key);
    }
    if (answer.isEmpty()) {
      throw new ProtocolProblem(409, "out_of_stock", "no key left for sku " + sku);
    }
    orders.putIfAbsent(orderId, target);
    return answer;
  }

  /** The replacement key for one unit and attempt; the same for the same three. */
  String replace(String orderId, String sku, int unit, int attempt, Faults faults) {
    Order order = orders.get(orderId);
    if (order == null) {
      throw new ProtocolProblem(404, "unknown_order", "no delivery was made for order " + orderId);
    }
    if (!order.sku.equals(sku)) {
      throw new ProtocolProblem(409, "idempotency_conflict", "order " + orderId + " was placed for another sku");
    }
    if (!order.keyByUnit.containsKey(unit)) {
      throw new ProtocolProblem(409, "not_delivered", "unit " + unit + " of order " + orderId + " was never delivered");
    }
    String attemptKey = unit + ":" + attempt;
    String known = order.replacementByUnitAttempt.get(attemptKey);
    if (known != null) {
      return known;
    }
    String key = nextKey(requireSku(sku), orderId, faults);
    if (key == null) {
      throw new ProtocolProblem(409, "out_of_stock", "no key left for sku " + sku);
    }
    order.replacementByUnitAttempt.put(attemptKey, key);
    handOut(key, orderId);
    return key;
  }

  /** What the issuer says of a key. Never changes anything. */
  KeyVerdict check(String key) {
    if (!issued.contains(key)) {
      return KeyVerdict.INVALID;
    }
    return redeemed.contains(key) ? KeyVerdict.REDEEMED : KeyVerdict.VALID;
  }

  /** Marks a real key redeemed at the issuer (a buyer used it); false for a key the issuer does not know. */
  boolean redeem(String key) {
    return issued.contains(key) && redeemed.add(key);
  }

  /** Returns the keys of lapsed reservations to free stock. */
  void expireDue() {
    reservations.values().forEach(this::expireIfDue);
  }

  /** Free keys per SKU. */
  Map<String, Integer> freeCounts() {
    Map<String, Integer> counts = new LinkedHashMap<>();
    freeKeys.forEach((sku, keys) -> counts.put(sku, keys.size()));
    return counts;
  }

  int keysHandedOut() {
    return handedOut.size();
  }

  private void expireIfDue(Reservation reservation) {
    if (!reservation.held.isEmpty() && !clock.instant().isBefore(reservation.expiresAt)) {
      release(reservation);
      if (reservation.status == Status.HELD) {
        reservation.status = Status.EXPIRED;
      }
    }
  }

  private void release(Reservation reservation) {
    Deque<String> free = freeKeys.get(reservation.sku);
    while (!reservation.held.isEmpty()) {
      free.addFirst(reservation.held.pollLast());
    }
  }

  private Deque<String> requireSku(String sku) {
    Deque<String> free = freeKeys.get(sku);
    if (free == null) {
      throw new ProtocolProblem(404, "unknown_sku", "sku " + sku + " is not sold here");
    }
    return free;
  }

  /** The next key to hand out from {@code source}, after the key faults had their draw. */
  private String nextKey(Deque<String> source, String orderId, Faults faults) {
    if (roll(faults.invalidKeyRate())) {
      return luhnKey(false);
    }
    if (roll(faults.controlCharacterKeyRate())) {
      String madeUp = luhnKey(true);
      return madeUp.substring(0, KEY_DIGITS / 2) + RIGHT_TO_LEFT_OVERRIDE + madeUp.substring(KEY_DIGITS / 2);
    }
    if (roll(faults.redeemedKeyRate()) && !source.isEmpty()) {
      String key = source.poll();
      redeemed.add(key);
      return key;
    }
    if (roll(faults.duplicateKeyRate())) {
      String duplicate = keyOfAnotherOrder(orderId);
      if (duplicate != null) {
        return duplicate;
      }
    }
    return source.poll();
  }

  private String keyOfAnotherOrder(String orderId) {
    for (int tries = 0; tries < 8 && !handedOut.isEmpty(); tries++) {
      String key = handedOut.get(random.nextInt(handedOut.size()));
      if (!orderId.equals(orderOfKey.get(key))) {
        return key;
      }
    }
    return null;
  }

  private void handOut(String key, String orderId) {
    handedOut.add(key);
    orderOfKey.putIfAbsent(key, orderId);
  }

  private boolean roll(double rate) {
    return rate > 0 && random.nextDouble() < rate;
  }

  /** 16 digits, first not 0, with a right (or, for made-up keys, a wrong) Luhn check digit. */
  private String luhnKey(boolean validCheckDigit) {
    StringBuilder body = new StringBuilder(KEY_DIGITS);
    body.append(1 + random.nextInt(9));
    while (body.length() < KEY_DIGITS - 1) {
      body.append(random.nextInt(10));
    }
    int check = luhnCheckDigit(body);
    if (!validCheckDigit) {
      check = (check + 1 + random.nextInt(9)) % 10;
    }
    return body.append(check).toString();
  }

  private static int luhnCheckDigit(CharSequence body) {
    int sum = 0;
    boolean doubled = true;
    for (int i = body.length() - 1; i >= 0; i--) {
      int d = body.charAt(i) - '0';
      if (doubled) {
        d *= 2;
        if (d > 9) {
          d -= 9;
        }
      }
      sum += d;
      doubled = !doubled;
    }
    return (10 - sum % 10) % 10;
  }
}
