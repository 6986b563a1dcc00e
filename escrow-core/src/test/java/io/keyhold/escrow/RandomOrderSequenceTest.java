package io.keyhold.escrow;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyhold.escrow.OrderEvent.ArbiterDecided;
import io.keyhold.escrow.OrderEvent.Cancel;
import io.keyhold.escrow.OrderEvent.Confirm;
import io.keyhold.escrow.OrderEvent.DeadlineReached;
import io.keyhold.escrow.OrderEvent.DeliveredKey;
import io.keyhold.escrow.OrderEvent.DisputeOpened;
import io.keyhold.escrow.OrderEvent.DuplicateKeyFound;
import io.keyhold.escrow.OrderEvent.KeysDelivered;
import io.keyhold.escrow.OrderEvent.PaymentReceived;
import io.keyhold.escrow.OrderEvent.Reveal;
import io.keyhold.escrow.OrderEvent.UnitChecked;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Currency;
import java.util.Deque;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Thousands of random order lives, each driven through random interleavings of payments (repeated,
 * conflicting, late, second and wrong ones), deliveries (partial, repeated, with fingerprints reused
 * across orders), verdicts (unknown, duplicated, stale), deadlines with random clock jumps and
 * sweeper lag, reveals, cancels, confirms, disputes and arbiter decisions.
 *
 * <p>Around each order sits a small model of the gateway: a ledger that applies every posting, the
 * global fingerprint index that answers a reused fingerprint with {@link DuplicateKeyFound}, an
 * issuer that knows each key's truth, the payment provider's view of every payment, and the merchants'
 * deposits (topped up and drawn down at random, often too small or empty) from which a deadline that finds a
 * merchant late pays the SKU's compensation. After every step it checks docs/money.md's invariants 1-6, 8 and 9
 * (a deposit is never negative; every compensation traces to a missed deadline in the order's evidence), at the
 * end invariant 7 over all orders and the deposits' books, and that every {@link OrderArrow}, {@link OrderState}
 * and {@link UnitState} was reached and compensation was paid in full, in part and not at all.
 *
 * <p>Replay a failure with {@code -Dkeyhold.seed=N}; every failure message carries the seed.
 */
class RandomOrderSequenceTest {

  private static final int ORDERS = 10_000;
  private static final int INTERLEAVED_ORDERS = 16;
  private static final int MAX_STEPS_PER_ORDER = 70;
  private static final int MAX_FINAL_STEPS = 64;
  private static final int TRACE_LENGTH = 16;
  private static final List<String> CURRENCIES = List.of("EUR", "USD", "JPY", "CNY");
  private static final Instant START = Instant.parse("2025-06-18T00:00:00Z");

  @Test
  void keepsEveryInvariantThroughRandomOrderLives() {
    String property = System.getProperty("keyhold.seed");
    long firstSeed = property == null || property.isBlank() ? new Random().nextLong() : Long.parseLong(property.trim());
    // -Dkeyhold.runs=N soaks: N runs with seeds firstSeed, firstSeed + 1, ...
    int runs = Integer.getInteger("keyhold.runs", 1);
    for (int run = 0; run < runs; run++) {
      long seed = firstSeed + run;
      World world = new World(seed);
      try {
        world.run();
      } catch (AssertionError | RuntimeException failure) {
        throw new AssertionError("seed " + seed + " — replay with: mvn -B -o -q -pl escrow-core verify"
            + " -Dtest=RandomOrderSequenceTest -Dkeyhold.seed=" + seed + "\n" + failure.getMessage()
            + "\nlast steps of the failing order:\n" + world.traceOfCurrent(), failure);
      }
      System.out.println("RandomOrderSequenceTest seed " + seed + ": " + world.summary());
    }
  }

  private record Claim(String orderId, int unit, int delivery) {}

  private record Validation(int unit, String keyRef) {}

  /** What the payment provider knows about one payment. */
  private static final class PaymentFacts {
    final Money amount;
    String fundedOrder;
    long refundedMinor;

    PaymentFacts(Money amount) {
      this.amount = amount;
    }
  }

  private enum Action {
    PAY, PAY_WRONG, REPEAT_PAYMENT, CONFLICTING_PAYMENT, DELIVER, REPEAT_DELIVERY, VERDICT, STALE_VERDICT,
    DUPLICATE_NOTICE, ADVANCE_CLOCK, SWEEP, EARLY_SWEEP, REVEAL, CANCEL, CONFIRM, DISPUTE, ARBITER,
    TOP_UP_DEPOSIT, WITHDRAW_DEPOSIT
  }

  private static final class World {
    final long seed;
    final Random random;

    final Map<String, Map<Currency, Long>> ledger = new HashMap<>();
    final Map<String, Claim> fingerprintIndex = new HashMap<>();
    final List<String> issuedFingerprints = new ArrayList<>();
    final Map<String, KeyVerdict> issuerTruth = new HashMap<>();
    final Set<String> answeredValid = new HashSet<>();
    final Map<String, PaymentFacts> payments = new HashMap<>();
    final Set<String> effectKeys = new HashSet<>();
    final Map<Currency, Long> paidIn = new HashMap<>();
    final Map<Currency, Long> refundEffects = new HashMap<>();
    final Map<Currency, Long> releaseNetEffects = new HashMap<>();
    final Map<Currency, Long> releaseFeeEffects = new HashMap<>();
    final Map<Currency, Long> compensationEffects = new HashMap<>();
    /** Units by how their backup sources ended: "switched", "backup_released", "every_source_refunded". */
    final Map<String, Integer> backupOutcomes = new TreeMap<>();
    /** Compensations by how much of what was owed the deposit paid: "full", "part", "none". */
    final Map<String, Integer> compensations = new TreeMap<>();

    final EnumMap<OrderArrow, Integer> arrows = new EnumMap<>(OrderArrow.class);
    final EnumSet<OrderState> states = EnumSet.noneOf(OrderState.class);
    final EnumSet<UnitState> unitStates = EnumSet.noneOf(UnitState.class);
    final EnumMap<RejectionCode, Integer> rejections = new EnumMap<>(RejectionCode.class);
    long transitions;
    long duplicates;
    long fundedOrders;
    int keyCounter;
    int fingerprintCounter;
    Sim current;

    World(long seed) {
      this.seed = seed;
      this.random = new Random(seed);
    }

    void run() {
      List<Sim> active = new ArrayList<>();
      int placed = 0;
      while (placed < ORDERS || !active.isEmpty()) {
        while (placed < ORDERS && active.size() < INTERLEAVED_ORDERS) {
          active.add(new Sim(this, placed++));
        }
        int pick = random.nextInt(active.size());
        Sim sim = active.get(pick);
        current = sim;
        if (sim.wantsToStop()) {
          sim.finishLife();
          active.remove(pick);
        } else {
          sim.step();
        }
      }
      current = null;
      checkBooksBalance();
      checkCoverage();
    }

    boolean chance(int percent) {
      return random.nextInt(100) < percent;
    }

    int between(int min, int max) {
      return min + random.nextInt(max - min + 1);
    }

    String freshFingerprint() {
      String counter = Integer.toHexString(++fingerprintCounter);
      String fingerprint = "0".repeat(64 - counter.length()) + counter;
      issuedFingerprints.add(fingerprint);
      return fingerprint;
    }

    void post(Posting posting) {
      ledger.computeIfAbsent(posting.account(), a -> new HashMap<>())
          .merge(posting.amount().currency(), posting.amount().minorUnits(), Math::addExact);
    }

    long balance(String account, Currency currency) {
      return ledger.getOrDefault(account, Map.of()).getOrDefault(currency, 0L);
    }

    /** Invariant 8 for one merchant: its deposit is never negative, in any currency. */
    void checkDeposit(String merchantId) {
      for (String code : CURRENCIES) {
        assertThat(balance(Accounts.merchantDeposit(merchantId), Currency.getInstance(code)))
            .as("invariant 8: deposit of %s in %s is never negative", merchantId, code).isNotNegative();
      }
    }

    /**
     * Invariant 7, to the cent, per currency: payments in = released + fees + refunds + held in escrow; and the
     * deposits' books: deposits taken in = held in deposits + compensation paid.
     */
    void checkBooksBalance() {
      for (String code : CURRENCIES) {
        Currency currency = Currency.getInstance(code);
        long deposited = -balance(Accounts.DEPOSITS_IN, currency);
        long inDeposits = ledger.entrySet().stream().filter(a -> Accounts.isMerchantDeposit(a.getKey()))
            .mapToLong(a -> a.getValue().getOrDefault(currency, 0L)).sum();
        long compensated = balance(Accounts.COMPENSATIONS_OUT, currency);
        assertThat(inDeposits + compensated).as("%s: deposits held + compensation paid = deposits in", code)
            .isEqualTo(deposited);
        assertThat(compensated).as("%s: compensation posted vs. PayCompensation effects", code)
            .isEqualTo(compensationEffects.getOrDefault(currency, 0L));
        long in = -balance(Accounts.PAYMENTS_IN, currency);
        long released = 0;
        long held = 0;
        for (Map.Entry<String, Map<Currency, Long>> account : ledger.entrySet()) {
          long amount = account.getValue().getOrDefault(currency, 0L);
          if (Accounts.isMerchantPayable(account.getKey())) {
            released += amount;
          } else if (Accounts.isEscrow(account.getKey())) {
            assertThat(amount).as("escrow %s at the end", account.getKey()).isZero();
            held += amount;
          }
        }
        long fees = balance(Accounts.PLATFORM_FEES, currency);
        long refunds = balance(Accounts.REFUNDS_OUT, currency);
        assertThat(in).as("%s: payments in per ledger vs. distinct payments the provider made", code)
            .isEqualTo(paidIn.getOrDefault(currency, 0L));
        assertThat(released + fees + refunds + held).as("%s: released + fees + refunds + held", code).isEqualTo(in);
        assertThat(refunds).as("%s: refunds posted vs. RefundPayment effects", code)
            .isEqualTo(refundEffects.getOrDefault(currency, 0L));
        assertThat(released).as("%s: merchant payables vs. ReleaseFunds net", code)
            .isEqualTo(releaseNetEffects.getOrDefault(currency, 0L));
        assertThat(fees).as("%s: platform fees vs. ReleaseFunds fee", code)
            .isEqualTo(releaseFeeEffects.getOrDefault(currency, 0L));
      }
      for (Map.Entry<String, PaymentFacts> payment : payments.entrySet()) {
        PaymentFacts facts = payment.getValue();
        if (facts.fundedOrder == null) {
          assertThat(facts.refundedMinor).as("payment %s funded nothing and is refunded in full", payment.getKey())
              .isEqualTo(facts.amount.minorUnits());
        }
      }
    }

    void checkCoverage() {
      EnumSet<OrderArrow> missed = EnumSet.allOf(OrderArrow.class);
      missed.removeAll(arrows.keySet());
      assertThat(missed).as("arrows never reached (reached: %s)", arrows).isEmpty();
      assertThat(EnumSet.complementOf(states)).as("order states never reached").isEmpty();
      assertThat(EnumSet.complementOf(unitStates)).as("unit states never reached").isEmpty();
      assertThat(compensations.keySet()).as("compensations paid in full, in part, not at all")
          .containsExactly("full", "none", "part");
      assertThat(backupOutcomes.keySet()).as("units moved to a backup, released from one, refunded after all failed")
          .containsExactly("backup_released", "every_source_refunded", "switched");
    }

    String summary() {
      return ORDERS + " orders (" + fundedOrders + " funded), " + transitions + " transitions, " + duplicates
          + " duplicates, rejections " + rejections + ", " + arrows.size() + "/" + OrderArrow.values().length
          + " arrows " + arrows + ", " + states.size() + "/" + OrderState.values().length + " states, compensations "
          + compensations + ", backup sources " + backupOutcomes;
    }

    String traceOfCurrent() {
      return current == null ? "(none)" : String.join("\n", current.trace);
    }
  }

  /** One order and the gateway, merchant, issuer, payer and buyer around it. */
  private static final class Sim {
    final World world;
    final int number;
    final String merchantId;
    final List<BackupSource> backups = new ArrayList<>();
    Order order;
    Instant now;
    Duration lag = Duration.ZERO;
    int steps;
    Instant terminalAt;

    final List<EvidenceEvent> chain = new ArrayList<>();
    final List<PaymentReceived> sentPayments = new ArrayList<>();
    final List<Validation> outstanding = new ArrayList<>();
    final List<Validation> answered = new ArrayList<>();
    DuplicateKeyFound pendingDuplicateNotice;
    KeysDelivered lastDelivery;
    final Deque<String> trace = new ArrayDeque<>();

    final int deliverWeight;
    final int badKeyPercent;
    final int reusePercent;
    final int unknownPercent;
    final int payWeight;

    Sim(World world, int number) {
      this.world = world;
      this.number = number;
      this.merchantId = "m-" + world.random.nextInt(50);
      this.now = START.plusSeconds(number * 7L);
      // A third of the shops are reliable (so that orders reach the later states often); the others are
      // slow, silent, sell bad or reused keys, or sit behind a validator that often cannot answer.
      boolean reliable = world.chance(33);
      this.deliverWeight = reliable ? world.between(20, 40) : world.chance(20) ? 0 : world.between(3, 40);
      this.badKeyPercent = reliable ? world.between(0, 5) : world.chance(40) ? world.between(20, 70) : world.between(0, 15);
      this.reusePercent = world.chance(30) ? world.between(15, 50) : 4;
      this.unknownPercent = reliable ? world.between(0, 10) : world.chance(25) ? world.between(50, 90) : world.between(0, 20);
      this.payWeight = world.between(2, 40);
      Money unitPrice = Money.of(world.chance(5) ? 1 : world.between(1, 500_000),
          CURRENCIES.get(world.random.nextInt(CURRENCIES.size())));
      int quantity = world.chance(10) ? world.between(5, 8) : world.between(1, 4);
      int fee = world.chance(10) ? (world.chance(50) ? 0 : 10_000) : world.between(1, 3000);
      // Two orders in five list backup sources: other merchants' SKUs (or another pool of this one), each its fee.
      if (world.chance(40)) {
        int count = world.between(1, Order.BACKUP_SOURCES_MAX);
        for (int i = 1; i <= count; i++) {
          backups.add(new BackupSource("m-" + world.random.nextInt(50), "backup-sku-" + i,
              world.chance(10) ? 0 : world.between(1, 3000)));
        }
      }
      Transition placed = Order.place(new OrderDraft("o-" + number, merchantId, "sku-" + world.random.nextInt(20),
          quantity, unitPrice, fee, randomPolicy(), backups), now);
      note("placed " + placed.order().quantity() + " × " + unitPrice + " fee " + fee + " " + placed.order().policy()
          + " backups " + backups);
      order = placed.order();
      chain.addAll(placed.evidence());
      assertThat(EvidenceChain.verify(chain)).isEmpty();
      world.states.add(order.state());
    }

    SkuPolicy randomPolicy() {
      return SkuPolicy.builder()
          .payWithin(Duration.ofSeconds(world.between(60, 3600)))
          .deliverWithin(Duration.ofSeconds(world.between(60, 1800)))
          .resupplyWithin(Duration.ofSeconds(world.between(60, 3600)))
          .maxResupplyAttempts(world.chance(25) ? 0 : world.between(1, 3))
          .validateWithin(Duration.ofSeconds(world.between(30, 900)))
          .inspectionWindow(Duration.ofSeconds(world.between(60, 86_400)))
          .maxHold(Duration.ofSeconds(world.between(3_600, 7 * 86_400)))
          .unknownVerdictPolicy(world.chance(50) ? UnknownVerdictPolicy.RESUPPLY : UnknownVerdictPolicy.REFUND)
          .latePaymentPolicy(world.chance(60) ? LatePaymentPolicy.FULFIL_IF_STOCK : LatePaymentPolicy.REFUND)
          .compensation(world.chance(40) ? null : world.chance(50)
              ? Compensation.fixed(world.between(1, 200_000))
              : Compensation.basisPoints(world.between(1, Compensation.BASIS_POINTS_MAX)))
          .build();
    }

    boolean wantsToStop() {
      return steps >= MAX_STEPS_PER_ORDER || (order.isTerminal() && world.chance(40));
    }

    // ---- one random step

    void step() {
      steps++;
      Action action = chooseAction();
      switch (action) {
        case PAY -> pay(order.total());
        case PAY_WRONG -> pay(wrongAmount());
        case REPEAT_PAYMENT -> repeatPayment();
        case CONFLICTING_PAYMENT -> conflictingPayment();
        case DELIVER -> deliver();
        case REPEAT_DELIVERY -> sendDelivery(lastDelivery, "repeat delivery");
        case VERDICT -> verdict(outstanding, true);
        case STALE_VERDICT -> verdict(answered, false);
        case DUPLICATE_NOTICE -> flushDuplicateNotice();
        case ADVANCE_CLOCK -> advanceClock();
        case SWEEP -> sweep();
        case EARLY_SWEEP -> earlySweep();
        case REVEAL -> applyAfterFlush(new Reveal(), "reveal");
        case CANCEL -> applyAfterFlush(new Cancel(), "cancel");
        case CONFIRM -> applyAfterFlush(new Confirm(), "confirm");
        case DISPUTE -> applyAfterFlush(new DisputeOpened(
            DisputeReason.values()[world.random.nextInt(DisputeReason.values().length)],
            world.chance(50) ? "the key does not work" : "text " + world.random.nextInt(3)), "dispute");
        case ARBITER -> decide();
        case TOP_UP_DEPOSIT -> moveDeposit(world.between(1, 300_000));
        case WITHDRAW_DEPOSIT -> moveDeposit(-world.random.nextLong(depositHeld() + 1));
      }
    }

    Action chooseAction() {
      OrderState state = order.state();
      boolean fulfilling = state == OrderState.FUNDED || state == OrderState.VALIDATING
          || state == OrderState.RESUPPLYING;
      boolean awaitingKeys = fulfilling && order.units().stream().anyMatch(u -> u.state().lacksUsableKey());
      Instant due = order.nextActionAt();
      EnumMap<Action, Integer> weights = new EnumMap<>(Action.class);
      weights.put(Action.PAY, state == OrderState.AWAITING_PAYMENT ? payWeight : state == OrderState.EXPIRED ? 10 : 1);
      weights.put(Action.PAY_WRONG, state == OrderState.AWAITING_PAYMENT ? 3 : 1);
      weights.put(Action.REPEAT_PAYMENT, sentPayments.isEmpty() ? 0 : 4);
      weights.put(Action.CONFLICTING_PAYMENT, order.payments().isEmpty() ? 0 : 1);
      weights.put(Action.DELIVER, awaitingKeys ? deliverWeight : 1);
      weights.put(Action.REPEAT_DELIVERY, lastDelivery == null ? 0 : 3);
      weights.put(Action.VERDICT, outstanding.isEmpty() ? 0 : 30);
      weights.put(Action.STALE_VERDICT, answered.isEmpty() ? 0 : 3);
      weights.put(Action.DUPLICATE_NOTICE, pendingDuplicateNotice == null ? 0 : 4);
      weights.put(Action.ADVANCE_CLOCK, 12);
      weights.put(Action.SWEEP, due != null && !due.isAfter(now) ? 25 : 0);
      weights.put(Action.EARLY_SWEEP, 1);
      weights.put(Action.REVEAL, state == OrderState.READY ? 15 : 1);
      weights.put(Action.CANCEL, fulfilling || state == OrderState.READY ? 2 : 1);
      weights.put(Action.CONFIRM, state == OrderState.INSPECTION ? 10 : 1);
      weights.put(Action.DISPUTE, state == OrderState.INSPECTION ? 5 : 1);
      weights.put(Action.ARBITER, state == OrderState.DISPUTED ? 20 : 1);
      weights.put(Action.TOP_UP_DEPOSIT, 2);
      weights.put(Action.WITHDRAW_DEPOSIT, depositHeld() > 0 ? 1 : 0);
      int total = weights.values().stream().mapToInt(Integer::intValue).sum();
      int pick = world.random.nextInt(total);
      for (Map.Entry<Action, Integer> weight : weights.entrySet()) {
        pick -= weight.getValue();
        if (pick < 0) {
          return weight.getKey();
        }
      }
      throw new IllegalStateException("no action chosen");
    }

    // ---- the merchant's deposit

    long depositHeld() {
      return world.balance(Accounts.merchantDeposit(merchantId), order.unitPrice().currency());
    }

    /** A top-up (positive) or a withdrawal (negative, never past what is held) of the merchant's deposit. */
    void moveDeposit(long minorUnits) {
      if (minorUnits == 0) {
        return;
      }
      Money amount = new Money(minorUnits, order.unitPrice().currency());
      world.post(new Posting(Accounts.DEPOSITS_IN, amount.negate()));
      world.post(new Posting(Accounts.merchantDeposit(merchantId), amount));
      note("deposit " + (minorUnits > 0 ? "top-up " : "withdrawal ") + amount + " -> " + depositHeld());
      world.checkDeposit(merchantId);
    }

    /**
     * The sweeper's event: what the deposit holds now, as the gateway reads it under lock; now and then none
     * (a merchant that never funded one) or a deposit in another currency, which pays nothing.
     */
    DeadlineReached deadline() {
      int pick = world.random.nextInt(100);
      if (pick < 5) {
        return new DeadlineReached();
      }
      Currency currency = order.unitPrice().currency();
      if (pick < 8) {
        String other = CURRENCIES.get((CURRENCIES.indexOf(currency.getCurrencyCode()) + 1) % CURRENCIES.size());
        return new DeadlineReached(Money.of(world.between(0, 1_000_000), other));
      }
      return new DeadlineReached(new Money(depositHeld(), currency));
    }

    // ---- payer

    Money wrongAmount() {
      Money total = order.total();
      if (world.chance(30)) {
        String other = CURRENCIES.get((CURRENCIES.indexOf(total.currency().getCurrencyCode()) + 1) % CURRENCIES.size());
        return Money.of(total.minorUnits(), other);
      }
      long delta = world.between(1, 100);
      Money off = new Money(delta, total.currency());
      return total.minorUnits() > delta && world.chance(50) ? total.minus(off) : total.plus(off);
    }

    void pay(Money amount) {
      String paymentId = "pay-" + number + "-" + sentPayments.size();
      PaymentReceived payment = new PaymentReceived(paymentId, amount, world.chance(70));
      sentPayments.add(payment);
      apply(payment, "payment " + paymentId + " of " + amount + (amount.equals(order.total()) ? "" : " (wrong)"));
    }

    void repeatPayment() {
      PaymentReceived payment = sentPayments.get(world.random.nextInt(sentPayments.size()));
      boolean known = order.payments().stream().anyMatch(p -> p.paymentId().equals(payment.paymentId()));
      Outcome outcome = apply(payment, "repeat payment " + payment.paymentId());
      if (known) {
        assertThat(outcome).isInstanceOf(Transition.class);
        assertThat(((Transition) outcome).duplicate()).as("a repeated payment notice is a duplicate").isTrue();
      }
    }

    void conflictingPayment() {
      PaymentRecord known = order.payments().get(world.random.nextInt(order.payments().size()));
      Outcome outcome = apply(new PaymentReceived(known.paymentId(),
          known.amount().plus(new Money(1, known.amount().currency())), true), "conflicting payment " + known.paymentId());
      assertThat(outcome).isInstanceOfSatisfying(Rejection.class, r ->
          assertThat(r.code()).isEqualTo(RejectionCode.PAYMENT_EXISTS_WITH_DIFFERENT_AMOUNT));
    }

    // ---- merchant and gateway

    void deliver() {
      List<Integer> candidates = new ArrayList<>();
      for (OrderUnit unit : order.units()) {
        if (unit.state().lacksUsableKey()) {
          candidates.add(unit.index());
        }
      }
      if (candidates.isEmpty() || world.chance(5)) {
        candidates = List.of(world.random.nextInt(order.quantity()));
      }
      List<DeliveredKey> keys = new ArrayList<>();
      for (int unit : candidates) {
        if (keys.isEmpty() || world.chance(70)) {
          String keyRef = "k-" + (++world.keyCounter);
          String fingerprint;
          if (world.chance(reusePercent) && !world.issuedFingerprints.isEmpty()) {
            fingerprint = world.issuedFingerprints.get(world.random.nextInt(world.issuedFingerprints.size()));
            // The issuer may not know the key was sold before: only the fingerprint index catches it.
            world.issuerTruth.put(keyRef, world.chance(70) ? KeyVerdict.VALID : KeyVerdict.REDEEMED);
          } else {
            fingerprint = world.freshFingerprint();
            world.issuerTruth.put(keyRef, !world.chance(badKeyPercent) ? KeyVerdict.VALID
                : world.chance(50) ? KeyVerdict.INVALID : KeyVerdict.REDEEMED);
          }
          keys.add(new DeliveredKey(unit, keyRef, fingerprint));
        }
      }
      KeysDelivered delivery = new KeysDelivered(keys);
      lastDelivery = delivery;
      sendDelivery(delivery, "deliver " + keys);
    }

    void sendDelivery(KeysDelivered delivery, String label) {
      Order before = order;
      Outcome outcome = apply(delivery, label);
      if (outcome instanceof Transition t && !t.duplicate()) {
        indexFingerprints(before, delivery);
      }
    }

    /** What the gateway's unique fingerprint index does with each key the order accepted. */
    void indexFingerprints(Order before, KeysDelivered delivery) {
      List<DuplicateKeyFound> found = new ArrayList<>();
      for (DeliveredKey key : delivery.keys()) {
        OrderUnit unit = order.units().get(key.unit());
        if (!key.keyRef().equals(unit.keyRef()) || unit.deliveries() == before.units().get(key.unit()).deliveries()) {
          continue;
        }
        Claim claim = world.fingerprintIndex.get(key.fingerprint());
        if (claim == null) {
          world.fingerprintIndex.put(key.fingerprint(), new Claim(order.id(), unit.index(), unit.deliveries()));
        } else {
          found.add(new DuplicateKeyFound(unit.index(), key.keyRef()));
        }
      }
      for (DuplicateKeyFound notice : found) {
        // Mostly in the same flow as the delivery; sometimes one notice is late (a crash, an import of
        // leaked keys), but never past an event that could release or reveal the key.
        if (pendingDuplicateNotice == null && world.chance(60)) {
          pendingDuplicateNotice = notice;
        } else {
          flushDuplicateNotice();
          apply(notice, "duplicate key notice " + notice);
        }
      }
    }

    void flushDuplicateNotice() {
      if (pendingDuplicateNotice != null) {
        DuplicateKeyFound notice = pendingDuplicateNotice;
        pendingDuplicateNotice = null;
        apply(notice, "late duplicate key notice " + notice);
      }
    }

    // ---- issuer

    void verdict(List<Validation> from, boolean fresh) {
      Validation validation = from.get(world.random.nextInt(from.size()));
      KeyVerdict answer = world.chance(unknownPercent) ? KeyVerdict.UNKNOWN : world.issuerTruth.get(validation.keyRef());
      if (answer == KeyVerdict.INVALID || answer == KeyVerdict.REDEEMED) {
        flushDuplicateNotice();
      }
      if (answer == KeyVerdict.VALID) {
        world.answeredValid.add(validation.keyRef());
      }
      apply(new UnitChecked(validation.unit(), validation.keyRef(), answer),
          (fresh ? "verdict " : "stale verdict ") + validation + " " + answer);
      if (fresh && world.chance(85)) {
        outstanding.remove(validation);
        answered.add(validation);
      }
    }

    // ---- clock and sweeper

    void advanceClock() {
      flushDuplicateNotice();
      Instant due = order.nextActionAt();
      int pick = world.random.nextInt(100);
      Instant target;
      if (due == null || pick < 25) {
        target = now.plusSeconds(world.between(1, 120));
      } else if (pick < 40 && due.isAfter(now)) {
        target = now.plusSeconds(world.random.nextInt((int) Math.min(Integer.MAX_VALUE, Duration.between(now, due).getSeconds() + 1)));
      } else if (pick < 75) {
        target = due.isAfter(now) ? due : now;
      } else if (pick < 93) {
        target = (due.isAfter(now) ? due : now).plusSeconds(world.between(1, 600));
      } else {
        target = now.plus(Duration.ofDays(world.between(1, 10)));
      }
      for (int i = 0; i < MAX_FINAL_STEPS; i++) {
        Instant next = order.nextActionAt();
        if (next == null || next.isAfter(target) || next.isBefore(now) || !world.chance(80)) {
          break;
        }
        now = next;
        sweep();
      }
      Instant overdueSince = order.nextActionAt();
      if (overdueSince != null && overdueSince.isBefore(target)) {
        // The sweeper's lag: time during which a deadline was due and not yet acted on.
        lag = lag.plus(Duration.between(overdueSince.isAfter(now) ? overdueSince : now, target));
      }
      note("clock " + now + " -> " + target + " (next action " + order.nextActionAt() + ", lag " + lag + ")");
      now = target;
    }

    void sweep() {
      flushDuplicateNotice();
      Instant due = order.nextActionAt();
      if (due == null || due.isAfter(now)) {
        return;
      }
      Outcome outcome = apply(deadline(), "deadline at " + now + " (due " + order.nextActionAt() + ")");
      assertThat(outcome).as("a due deadline always acts").isInstanceOfSatisfying(Transition.class,
          t -> assertThat(t.duplicate()).isFalse());
    }

    void earlySweep() {
      flushDuplicateNotice();
      Instant due = order.nextActionAt();
      Outcome outcome = apply(deadline(), "early sweep (due " + due + ")");
      if (due == null || due.isAfter(now)) {
        assertThat(outcome).isInstanceOfSatisfying(Rejection.class,
            r -> assertThat(r.code()).isEqualTo(RejectionCode.NOT_DUE));
      }
    }

    // ---- buyer and arbiter

    void applyAfterFlush(OrderEvent event, String label) {
      flushDuplicateNotice();
      apply(event, label);
    }

    void decide() {
      flushDuplicateNotice();
      Map<Integer, Award> awards = new TreeMap<>();
      int mode = world.random.nextInt(100);
      List<Integer> held = order.heldUnits();
      for (int unit : held) {
        awards.put(unit, mode < 35 ? Award.RELEASE : mode < 70 ? Award.REFUND
            : world.chance(50) ? Award.RELEASE : Award.REFUND);
      }
      boolean malformed = world.chance(10) || awards.isEmpty();
      if (malformed) {
        int choice = world.random.nextInt(3);
        Optional<OrderUnit> refunded = order.units().stream().filter(u -> u.state() == UnitState.REFUNDED).findFirst();
        if (held.size() > 1 && choice == 0) {
          awards.remove(held.get(held.size() - 1));
        } else if (refunded.isPresent() && choice == 1) {
          // A unit refunded before the dispute cannot be awarded again.
          awards.put(refunded.get().index(), Award.RELEASE);
        } else {
          awards.put(order.quantity(), Award.REFUND);
        }
      }
      OrderState state = order.state();
      Outcome outcome = apply(new ArbiterDecided(awards), "arbiter " + awards);
      if (malformed && state == OrderState.DISPUTED) {
        assertThat(outcome).isInstanceOfSatisfying(Rejection.class,
            r -> assertThat(r.code()).isEqualTo(RejectionCode.AWARDS_DO_NOT_MATCH_UNITS));
      }
    }

    // ---- end of life

    void finishLife() {
      driveToTheEnd();
      if (world.chance(30)) {
        // A late payment for an expired order may still fund it (LatePaymentPolicy); then it must end again.
        pay(order.total());
        driveToTheEnd();
      }
      if (world.chance(20)) {
        apply(new Reveal(), "reveal after the end");
        apply(new Cancel(), "cancel after the end");
        assertThat(order.isTerminal()).isTrue();
      }
    }

    /** Lets the arbiter decide and the sweeper act on every deadline, on time, until the order is terminal. */
    void driveToTheEnd() {
      flushDuplicateNotice();
      for (int i = 0; i < MAX_FINAL_STEPS && !order.isTerminal(); i++) {
        if (order.state() == OrderState.DISPUTED) {
          Map<Integer, Award> awards = new TreeMap<>();
          for (int unit : order.heldUnits()) {
            awards.put(unit, world.chance(50) ? Award.RELEASE : Award.REFUND);
          }
          apply(new ArbiterDecided(awards), "final arbiter " + awards);
          continue;
        }
        Instant due = order.nextActionAt();
        assertThat(due).as("a live order that is not disputed has a deadline").isNotNull();
        if (due.isAfter(now)) {
          now = due;
        }
        sweep();
      }
      assertThat(order.isTerminal()).as("order terminal after driving the clock past all deadlines, state %s",
          order.state()).isTrue();
      if (order.fundedAt() != null) {
        // Invariant 6: terminal by the last deadline its policy allows, plus the sweeper's lag.
        assertThat(terminalAt).as("time the order became terminal").isBeforeOrEqualTo(lastDeadline(order));
      }
      assertThat(EvidenceChain.verify(chain)).as("evidence chain of %s", order.id()).isEmpty();
    }

    /**
     * The latest any deadline of a funded order may fall, worked out independently of the order's
     * code: the first keys by deliverWithin, their verdicts by validateWithin, the replacements by the
     * resupply window, a replacement's verdict by validateWithin after it arrived, as much again per backup
     * source, then maxHold until a
     * reveal and the inspection window after it — shifted by
     * the time the sweeper lagged behind a due deadline.
     */
    Instant lastDeadline(Order o) {
      SkuPolicy p = o.policy();
      // Each backup source adds one resupply window and the verdict of the last key it sent within it.
      Duration perBackup = p.resupplyWithin().plus(p.validateWithin());
      return o.fundedAt().plus(p.deliverWithin()).plus(p.validateWithin()).plus(p.resupplyWithin())
          .plus(p.validateWithin()).plus(perBackup.multipliedBy(backups.size())).plus(p.maxHold())
          .plus(p.inspectionWindow()).plus(lag);
    }

    // ---- applying an event and checking every invariant

    Outcome apply(OrderEvent event, String label) {
      Order before = order;
      Outcome outcome = before.on(event, now);
      if (outcome instanceof Rejection rejection) {
        note(label + " -> rejected " + rejection.code().code() + ": " + rejection.detail());
        world.rejections.merge(rejection.code(), 1, Integer::sum);
        assertThat(rejection.code()).as("rejection of %s", label).isNotEqualTo(RejectionCode.CLOCK_BEHIND);
        return outcome;
      }
      Transition transition = (Transition) outcome;
      if (transition.duplicate()) {
        note(label + " -> duplicate");
        world.duplicates++;
        assertThat(transition.order()).isSameAs(before);
        assertThat(transition.postings()).isEmpty();
        assertThat(transition.effects()).isEmpty();
        assertThat(transition.evidence()).isEmpty();
        return outcome;
      }
      Order after = transition.order();
      note(label + " -> " + before.state() + " => " + after.state() + " units " + after.units().stream()
          .map(u -> u.state().code()).toList() + " postings " + transition.postings());
      world.transitions++;
      checkEvidence(before, transition);
      checkPostings(before, transition, event);
      checkEffects(before, transition);
      checkCompensations(before, transition, event);
      checkSources(before, transition, event);
      order = after;
      checkEscrow();
      checkReleasedUnits(before, transition);
      checkFingerprints();
      checkDeadlines();
      transition.arrow().ifPresent(arrow -> world.arrows.merge(arrow, 1, Integer::sum));
      world.states.add(after.state());
      after.units().forEach(u -> world.unitStates.add(u.state()));
      if (before.fundedAt() == null && after.fundedAt() != null) {
        world.fundedOrders++;
      }
      if (!before.isTerminal() && after.isTerminal()) {
        terminalAt = now;
      }
      return outcome;
    }

    /** Links and sequence numbers per step; {@link EvidenceChain#verify} recomputes every hash at the end of the life. */
    void checkEvidence(Order before, Transition transition) {
      Order after = transition.order();
      assertThat(after.version()).as("version").isEqualTo(before.version() + 1);
      assertThat(transition.evidence()).as("a change leaves evidence").isNotEmpty();
      String previousHash = before.lastEvidenceHash();
      long seq = before.evidenceSeq();
      for (EvidenceEvent event : transition.evidence()) {
        assertThat(event.orderId()).isEqualTo(order.id());
        assertThat(event.seq()).isEqualTo(++seq);
        assertThat(event.prevHash()).isEqualTo(previousHash);
        assertThat(event.at()).isEqualTo(now);
        previousHash = event.hash();
      }
      assertThat(after.evidenceSeq()).isEqualTo(seq);
      assertThat(after.lastEvidenceHash()).isEqualTo(previousHash);
      chain.addAll(transition.evidence());
    }

    /** Invariants 1 and 4, and the ledger applied. */
    void checkPostings(Order before, Transition transition, OrderEvent event) {
      Map<Currency, Long> sums = new HashMap<>();
      long paymentsIn = 0;
      long escrowIn = 0;
      for (Posting posting : transition.postings()) {
        sums.merge(posting.amount().currency(), posting.amount().minorUnits(), Math::addExact);
        if (posting.account().equals(Accounts.PAYMENTS_IN)) {
          paymentsIn += posting.amount().minorUnits();
        }
        if (posting.account().equals(Accounts.escrow(order.id())) && posting.amount().isPositive()) {
          escrowIn += posting.amount().minorUnits();
        }
        world.post(posting);
      }
      assertThat(sums.values()).as("invariant 1: postings sum to zero per currency: %s", transition.postings())
          .allMatch(sum -> sum == 0);
      if (paymentsIn != 0) {
        assertThat(event).as("only a payment brings money in").isInstanceOf(PaymentReceived.class);
        PaymentReceived payment = (PaymentReceived) event;
        assertThat(-paymentsIn).as("money in is the payment's amount").isEqualTo(payment.amount().minorUnits());
        assertThat(world.payments.containsKey(payment.paymentId()))
            .as("invariant 4: payment %s moves money once", payment.paymentId()).isFalse();
        world.payments.put(payment.paymentId(), new PaymentFacts(payment.amount()));
        world.paidIn.merge(payment.amount().currency(), payment.amount().minorUnits(), Math::addExact);
      } else if (event instanceof PaymentReceived payment) {
        throw new AssertionError("a new payment " + payment.paymentId() + " was accepted without money coming in");
      }
      if (escrowIn != 0) {
        PaymentReceived payment = (PaymentReceived) event;
        assertThat(before.fundedAt()).as("invariant 4: an order is funded once").isNull();
        assertThat(escrowIn).isEqualTo(before.total().minorUnits());
        PaymentFacts facts = world.payments.get(payment.paymentId());
        assertThat(facts.fundedOrder).as("invariant 4: one payment funds one order").isNull();
        facts.fundedOrder = order.id();
      }
    }

    void checkEffects(Order before, Transition transition) {
      for (Effect effect : transition.effects()) {
        assertThat(world.effectKeys.add(effect.idempotencyKey()))
            .as("idempotency key %s is unique", effect.idempotencyKey()).isTrue();
        assertThat(effect.orderId()).isEqualTo(order.id());
        if (effect instanceof Effect.ValidateUnit validate) {
          outstanding.add(new Validation(validate.unit(), validate.keyRef()));
        } else if (effect instanceof Effect.RefundPayment refund) {
          PaymentFacts facts = world.payments.get(refund.paymentId());
          assertThat(facts).as("refund of a payment that came in").isNotNull();
          facts.refundedMinor += refund.amount().minorUnits();
          assertThat(facts.refundedMinor).as("payment %s never refunded beyond its amount", refund.paymentId())
              .isLessThanOrEqualTo(facts.amount.minorUnits());
          world.refundEffects.merge(refund.amount().currency(), refund.amount().minorUnits(), Math::addExact);
        } else if (effect instanceof Effect.ReleaseFunds release) {
          for (int unit : release.units()) {
            assertThat(release.merchantId()).as("invariant 10: unit %d is paid to the merchant of its source", unit)
                .isEqualTo(merchantOf(transition.order().units().get(unit).source()));
          }
          assertThat(release.gross()).isEqualTo(before.unitPrice().times(release.units().size()));
          assertThat(release.fee().plus(release.net())).isEqualTo(release.gross());
          world.releaseNetEffects.merge(release.net().currency(), release.net().minorUnits(), Math::addExact);
          world.releaseFeeEffects.merge(release.fee().currency(), release.fee().minorUnits(), Math::addExact);
        }
      }
    }

    /**
     * Invariants 8 and 9: the deposit is never negative, and every compensation traces to a deadline the merchant
     * missed, read from the order's own evidence: a first key not delivered by funding + deliver_within, or a unit
     * whose replacement did not come before the first replacement + resupply_within and that is refunded in the
     * same transition. Paid is what was owed or what the deposit held, and the ledger and effects say the same.
     */
    void checkCompensations(Order before, Transition transition, OrderEvent event) {
      String deposit = Accounts.merchantDeposit(merchantId);
      long fromDeposit = 0;
      for (Posting posting : transition.postings()) {
        if (Accounts.isMerchantDeposit(posting.account())) {
          assertThat(posting.account()).as("an order draws on its own merchant's deposit").isEqualTo(deposit);
          fromDeposit -= posting.amount().minorUnits();
        }
      }
      world.checkDeposit(merchantId);
      long paidInEvidence = 0;
      Map<String, String> placed = chain.get(0).details();
      for (EvidenceEvent event2 : transition.evidence()) {
        if (event2.type() != EvidenceType.ORDER_COMPENSATED) {
          continue;
        }
        assertThat(event).as("invariant 9: only a deadline compensates").isInstanceOf(DeadlineReached.class);
        Map<String, String> d = event2.details();
        Instant deadline = Instant.parse(d.get("deadline"));
        assertThat(event2.at()).as("invariant 9: compensated at or after the deadline missed").isAfterOrEqualTo(deadline);
        List<Integer> units = java.util.Arrays.stream(d.get("units").split(",")).map(Integer::valueOf).toList();
        if (d.get("cause").equals("delivery_late")) {
          EvidenceEvent funded = chain.stream().filter(e -> e.type() == EvidenceType.ORDER_FUNDED).reduce((a, b) -> b)
              .orElseThrow(() -> new AssertionError("invariant 9: compensated for a late delivery but never funded"));
          assertThat(deadline).as("invariant 9: the delivery deadline, from the evidence")
              .isEqualTo(funded.at().plusSeconds(Long.parseLong(placed.get("deliver_within_seconds"))));
          for (int unit : units) {
            assertThat(chain).as("invariant 9: unit %d compensated as late had no key before", unit)
                .noneMatch(e -> e.type() == EvidenceType.UNIT_KEY_DELIVERED && e.seq() < event2.seq()
                    && e.details().get("unit").equals(Integer.toString(unit)));
          }
        } else {
          assertThat(d.get("cause")).isEqualTo("resupply_refunded");
          EvidenceEvent first = chain.stream().filter(e -> e.type() == EvidenceType.UNIT_REPLACEMENT_REQUESTED)
              .findFirst().orElse(null);
          // At a backup source the window is the unit's own, from its switch there.
          EvidenceEvent switched = chain.stream().filter(e -> e.type() == EvidenceType.UNIT_SOURCE_SWITCHED
              && e.seq() < event2.seq() && e.details().get("unit").equals(Integer.toString(units.get(0))))
              .reduce((a, b) -> b).orElse(null);
          EvidenceEvent start = switched != null ? switched : first;
          assertThat(start).as("invariant 9: resupply compensated, none requested").isNotNull();
          assertThat(deadline).as("invariant 9: the resupply deadline, from the evidence")
              .isEqualTo(start.at().plusSeconds(Long.parseLong(placed.get("resupply_within_seconds"))));
          for (int unit : units) {
            assertThat(transition.evidence()).as("invariant 9: unit %d compensated for a failed resupply is refunded", unit)
                .anyMatch(e -> e.details().containsKey("refunded_units")
                    && List.of(e.details().get("refunded_units").split(",")).contains(Integer.toString(unit)));
          }
        }
        Money owed = perUnitFromTerms(placed, before.unitPrice()).times(units.size());
        Money paid = parse(d.get("paid"));
        Money unpaid = parse(d.get("unpaid"));
        assertThat(parse(d.get("owed"))).as("invariant 9: owed per the terms").isEqualTo(owed);
        assertThat(paid.plus(unpaid)).isEqualTo(owed);
        Money held = parse(d.get("deposit_before"));
        assertThat(paid).as("paid is what was owed or all the deposit held")
            .isEqualTo(owed.compareTo(held) <= 0 ? owed : held);
        world.compensations.merge(unpaid.isZero() ? "full" : paid.isZero() ? "none" : "part", 1, Integer::sum);
        paidInEvidence += paid.minorUnits();
      }
      long paidByEffects = transition.effects().stream().filter(Effect.PayCompensation.class::isInstance)
          .map(Effect.PayCompensation.class::cast).mapToLong(p -> p.amount().minorUnits()).sum();
      assertThat(fromDeposit).as("drawn from the deposit = paid in evidence = paid by effects")
          .isEqualTo(paidInEvidence).isEqualTo(paidByEffects);
      if (paidByEffects > 0) {
        world.compensationEffects.merge(before.unitPrice().currency(), paidByEffects, Math::addExact);
      }
    }

    /** The compensation per unit, worked out from the terms the order was placed with, not by escrow-core. */
    static Money perUnitFromTerms(Map<String, String> placed, Money unitPrice) {
      long value = Long.parseLong(placed.get("compensation_value"));
      return placed.get("compensation_basis").equals("fixed") ? new Money(value, unitPrice.currency())
          : new Money(Math.multiplyExact(unitPrice.minorUnits(), value) / 10_000, unitPrice.currency());
    }

    static Money parse(String canonical) {
      String[] parts = canonical.split(" ");
      return Money.of(Long.parseLong(parts[0]), parts[1]);
    }

    /**
     * Invariant 2: the escrow is never negative, holds the price of every unit not yet released or
     * refunded while funded, and nothing once terminal.
     */
    void checkEscrow() {
      for (String code : CURRENCIES) {
        Currency currency = Currency.getInstance(code);
        long held = world.balance(Accounts.escrow(order.id()), currency);
        assertThat(held).as("invariant 2: escrow of %s in %s is never negative", order.id(), code).isNotNegative();
        long heldUnits = order.units().stream()
            .filter(u -> u.state() != UnitState.RELEASED && u.state() != UnitState.REFUNDED).count();
        long expected = currency.equals(order.unitPrice().currency()) && order.fundedAt() != null
            ? Math.multiplyExact(order.unitPrice().minorUnits(), heldUnits) : 0;
        if (order.isTerminal()) {
          assertThat(expected).as("invariant 2: a terminal order holds nothing").isZero();
        }
        assertThat(held).as("invariant 2: escrow of %s in %s, state %s", order.id(), code, order.state())
            .isEqualTo(expected);
      }
    }

    /**
     * Invariant 3: money reaches the merchant only for units checked valid (or awarded by the arbiter);
     * and a unit is released only after the buyer saw it (confirmation, inspection window over, arbiter)
     * or at the maximum hold — never because a sibling was refunded.
     */
    void checkReleasedUnits(Order before, Transition transition) {
      int released = 0;
      for (OrderUnit unit : order.units()) {
        if (unit.state() == UnitState.RELEASED && before.units().get(unit.index()).state() != UnitState.RELEASED) {
          released++;
          assertThat(before.units().get(unit.index()).state())
              .as("invariant 3: unit %d of %s was valid when released", unit.index(), order.id())
              .isEqualTo(UnitState.VALID);
          assertThat(world.answeredValid.contains(unit.keyRef()))
              .as("invariant 3: the validator called key %s of unit %d valid", unit.keyRef(), unit.index()).isTrue();
          boolean maxHoldReached = before.holdUntil() != null && !now.isBefore(before.holdUntil());
          assertThat(order.revealedAt() != null || maxHoldReached)
              .as("release rule: unit %d of %s released unseen before max_hold (state %s -> %s)",
                  unit.index(), order.id(), before.state(), order.state())
              .isTrue();
        }
      }
      // Invariant 10: each merchant is paid for the units its source delivered, less its own fee (worked out here
      // from the sources the order was placed with, rounded down per source as the fee rule says).
      Map<String, Long> owedTo = new HashMap<>();
      Map<Integer, Integer> releasedPerSource = new TreeMap<>();
      for (OrderUnit unit : order.units()) {
        if (unit.state() == UnitState.RELEASED && before.units().get(unit.index()).state() != UnitState.RELEASED) {
          releasedPerSource.merge(unit.source(), 1, Integer::sum);
        }
      }
      releasedPerSource.forEach((source, count) -> {
        long gross = Math.multiplyExact(order.unitPrice().minorUnits(), (long) count);
        long fee = Math.multiplyExact(gross, (long) (source == 0 ? order.feeBasisPoints()
            : backups.get(source - 1).feeBasisPoints())) / 10_000;
        owedTo.merge(Accounts.merchantPayable(merchantOf(source)), gross - fee, Math::addExact);
      });
      Map<String, Long> paidTo = new HashMap<>();
      long toMerchantAndFees = 0;
      for (Posting posting : transition.postings()) {
        if (Accounts.isMerchantPayable(posting.account())) {
          paidTo.merge(posting.account(), posting.amount().minorUnits(), Math::addExact);
          toMerchantAndFees += posting.amount().minorUnits();
        } else if (posting.account().equals(Accounts.PLATFORM_FEES)) {
          toMerchantAndFees += posting.amount().minorUnits();
        }
      }
      assertThat(toMerchantAndFees).as("invariant 3: merchant and fees get exactly the released units' price")
          .isEqualTo(Math.multiplyExact(order.unitPrice().minorUnits(), (long) released));
      owedTo.values().removeIf(net -> net == 0);
      assertThat(paidTo).as("invariant 10: each merchant is paid for the units its source delivered").isEqualTo(owedTo);
      if (releasedPerSource.keySet().stream().anyMatch(source -> source > 0)) {
        world.backupOutcomes.merge("backup_released", 1, Integer::sum);
      }
    }

    String merchantOf(int source) {
      return source == 0 ? merchantId : backups.get(source - 1).merchantId();
    }

    String labelOf(int source) {
      return source == 0 ? merchantId + "/" + order.skuId() : backups.get(source - 1).label();
    }

    /**
     * Invariant 10, sources: a unit moves only forward, one source at a time, each move recorded as
     * {@code unit.source_switched} from the old source to the new one, and only when its current source's
     * resupply window closed (worked out from the evidence) or its attempts there ran out; a unit the
     * fulfilment gave up on is refunded only once every source failed — a verdict the validator never gave,
     * under the {@code refund} policy, is the one refund the SKU's terms make while a source remains.
     */
    void checkSources(Order before, Transition transition, OrderEvent event) {
      Order after = transition.order();
      Map<String, String> placed = chain.get(0).details();
      long resupplySeconds = Long.parseLong(placed.get("resupply_within_seconds"));
      int maxAttempts = Integer.parseInt(placed.get("max_resupply_attempts"));
      for (OrderUnit unit : after.units()) {
        OrderUnit was = before.units().get(unit.index());
        String index = Integer.toString(unit.index());
        List<EvidenceEvent> switches = transition.evidence().stream()
            .filter(e -> e.type() == EvidenceType.UNIT_SOURCE_SWITCHED && e.details().get("unit").equals(index))
            .toList();
        assertThat(unit.source()).as("invariant 10: unit %s moves forward by at most one source", index)
            .isBetween(was.source(), Math.min(was.source() + 1, backups.size()));
        if (unit.source() == was.source()) {
          assertThat(switches).as("invariant 10: no switch recorded for unit %s that stayed", index).isEmpty();
        } else {
          world.backupOutcomes.merge("switched", 1, Integer::sum);
          assertThat(switches).as("invariant 10: the switch of unit %s is in the evidence", index).singleElement()
              .satisfies(e -> {
                assertThat(e.details()).containsEntry("from", labelOf(was.source()))
                    .containsEntry("to", labelOf(unit.source()));
                // Where the window at the old source opened: its first replacement request, or the switch there.
                List<EvidenceEvent> earlier = chain.stream().filter(c -> c.seq() < e.seq()).toList();
                Instant opened = was.source() > 0
                    ? earlier.stream().filter(c -> c.type() == EvidenceType.UNIT_SOURCE_SWITCHED
                        && c.details().get("unit").equals(index)).reduce((a, b) -> b).orElseThrow().at()
                    : earlier.stream().filter(c -> c.type() == EvidenceType.UNIT_REPLACEMENT_REQUESTED)
                        .findFirst().map(EvidenceEvent::at).orElse(null);
                long requestsThere = earlier.stream().filter(c -> c.type() == EvidenceType.UNIT_REPLACEMENT_REQUESTED
                    && c.details().get("unit").equals(index)
                    && c.seq() > lastSwitchSeq(earlier, index)).count() + (was.source() > 0 ? 1 : 0);
                boolean windowClosed = opened != null && !now.isBefore(opened.plusSeconds(resupplySeconds));
                boolean attemptsOut = requestsThere >= maxAttempts + (was.source() > 0 ? 1 : 0);
                assertThat(windowClosed || attemptsOut)
                    .as("invariant 10: unit %s left source %d with its window open and attempts left (%s requests)",
                        index, was.source(), requestsThere).isTrue();
              });
        }
        if (unit.state() == UnitState.REFUNDED && was.state() != UnitState.REFUNDED
            && (event instanceof DeadlineReached || event instanceof UnitChecked || event instanceof DuplicateKeyFound)
            && was.source() < backups.size()) {
          assertThat(was.state().awaitsVerdict() && placed.get("unknown_verdict_policy").equals("refund"))
              .as("invariant 10: unit %s refunded while source %d of %d remained (state %s)", index, was.source() + 1,
                  backups.size(), was.state())
              .isTrue();
        }
        if (unit.state() == UnitState.REFUNDED && was.state() != UnitState.REFUNDED && !backups.isEmpty()
            && was.source() == backups.size()) {
          world.backupOutcomes.merge("every_source_refunded", 1, Integer::sum);
        }
      }
    }

    static long lastSwitchSeq(List<EvidenceEvent> earlier, String index) {
      return earlier.stream().filter(c -> c.type() == EvidenceType.UNIT_SOURCE_SWITCHED
          && c.details().get("unit").equals(index)).mapToLong(EvidenceEvent::seq).max().orElse(0);
    }

    /** Invariant 5: a key the buyer may see or the merchant was paid for is its fingerprint's first and only delivery. */
    void checkFingerprints() {
      Set<String> visible = new HashSet<>(order.keyRefsVisibleToBuyer());
      for (OrderUnit unit : order.units()) {
        if (unit.state() == UnitState.RELEASED || visible.contains(unit.keyRef())) {
          assertThat(world.fingerprintIndex.get(unit.fingerprint()))
              .as("invariant 5: fingerprint of unit %d of %s (key %s)", unit.index(), order.id(), unit.keyRef())
              .isEqualTo(new Claim(order.id(), unit.index(), unit.deliveries()));
        }
      }
    }

    /** Invariant 6 while alive: a funded order always has a deadline, never later than its policy allows. */
    void checkDeadlines() {
      Instant next = order.nextActionAt();
      if (order.isTerminal() || order.state() == OrderState.DISPUTED) {
        assertThat(next).as("no deadline in state %s", order.state()).isNull();
      } else if (order.state() == OrderState.AWAITING_PAYMENT) {
        assertThat(next).isEqualTo(order.payBy());
      } else {
        assertThat(next).as("a funded, live order has a deadline").isNotNull();
        assertThat(next).as("invariant 6: next deadline of %s in %s", order.id(), order.state())
            .isBeforeOrEqualTo(lastDeadline(order));
      }
    }

    void note(String line) {
      if (trace.size() >= TRACE_LENGTH) {
        trace.removeFirst();
      }
      trace.addLast("  [" + orderLabel() + " step " + steps + " @" + now + "] " + line);
    }

    private String orderLabel() {
      return order == null ? "o-" + number : order.id();
    }
  }
}
