package io.keyhold.simulator.client;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the buyer API says about one order ({@code GET /v1/buyer/orders/{id}}, the SSE events, and
 * the reveal answer). Read leniently: a member the gateway leaves out is null or empty here, so the
 * audit can say what is missing instead of the simulator failing on it.
 *
 * <p>{@link #toString()} never shows keys.
 */
public final class OrderView {
  /** Order states, as the API writes them (stable wire codes). */
  public static final String AWAITING_PAYMENT = "awaiting_payment";
  public static final String EXPIRED = "expired";
  public static final String FUNDED = "funded";
  public static final String VALIDATING = "validating";
  public static final String RESUPPLYING = "resupplying";
  public static final String READY = "ready";
  public static final String INSPECTION = "inspection";
  public static final String DISPUTED = "disputed";
  public static final String RELEASED = "released";
  public static final String REFUNDED = "refunded";
  public static final String PARTIALLY_REFUNDED = "partially_refunded";

  /** States in which no deadline applies any more and escrow holds nothing. */
  public static final Set<String> TERMINAL = Set.of(EXPIRED, RELEASED, REFUNDED, PARTIALLY_REFUNDED);

  /** Unit states whose key is good and not given back. */
  public static final Set<String> SOLD_UNIT_STATES = Set.of("valid", "released");

  private final String id;
  private final String state;
  private final int quantity;
  private final Amount unitPrice;
  private final Amount total;
  private final List<Unit> units;
  // Times stay text until asked for: a follower reads a view at every change, and parsing every time in it was
  // a tenth of the simulator's CPU in a flash sale, for the few a run ever asks.
  private final Map<String, String> deadlineTexts;
  private final Object nextActionAtText;
  private final Amount refunded;
  private final Amount released;
  private final Amount compensationPaid;
  private final Amount compensationUnpaid;
  private final Map<String, String> timelineTexts;
  private final Set<String> actions;
  // Parsed from the texts on first use. Volatile, since a view read on the event loop may be asked on another
  // thread; the parse is idempotent, so two threads parsing at once both get the same.
  private volatile Map<String, Instant> deadlines;
  private volatile Map<String, Instant> timeline;
  private final String merchantId;
  private final String skuId;

  private OrderView(JsonObject json) {
    this.id = json.getString("id");
    this.state = json.getString("state", "");
    this.quantity = json.getValue("quantity") instanceof Number n ? n.intValue() : 0;
    this.unitPrice = Amount.fromJson(object(json, "unit_price"));
    this.total = Amount.fromJson(object(json, "total"));
    this.refunded = Amount.fromJson(object(json, "refunded"));
    this.released = Amount.fromJson(object(json, "released"));
    JsonObject compensation = object(json, "compensation");
    this.compensationPaid = compensation == null ? null : Amount.fromJson(object(compensation, "paid"));
    this.compensationUnpaid = compensation == null ? null : Amount.fromJson(object(compensation, "unpaid"));
    this.nextActionAtText = json.getValue("next_action_at");
    this.merchantId = idOf(object(json, "merchant"));
    this.skuId = idOf(object(json, "sku"));
    List<Unit> readUnits = new ArrayList<>();
    if (json.getValue("units") instanceof JsonArray array) {
      for (Object entry : array) {
        if (entry instanceof JsonObject unit) {
          readUnits.add(new Unit(unit.getValue("index") instanceof Number n ? n.intValue() : -1,
              unit.getString("state", ""), unit.getValue("key") instanceof String key ? key : null));
        }
      }
    }
    this.units = Collections.unmodifiableList(readUnits);
    Map<String, String> readDeadlines = new LinkedHashMap<>();
    JsonObject deadlineJson = object(json, "deadlines");
    if (deadlineJson != null) {
      for (String name : deadlineJson.fieldNames()) {
        if (deadlineJson.getValue(name) instanceof String at) {
          readDeadlines.put(name, at);
        }
      }
    }
    this.deadlineTexts = readDeadlines;
    // The first time each event type happened: the phases are measured between first occurrences.
    Map<String, String> readTimeline = new LinkedHashMap<>();
    if (json.getValue("timeline") instanceof JsonArray array) {
      for (Object entry : array) {
        if (entry instanceof JsonObject event && event.getValue("type") instanceof String type
            && !readTimeline.containsKey(type) && event.getValue("at") instanceof String) {
          readTimeline.put(type, event.getString("at"));
        }
      }
    }
    this.timelineTexts = readTimeline;
    JsonObject actionJson = object(json, "actions");
    Set<String> readActions = new java.util.TreeSet<>();
    if (actionJson != null) {
      for (String name : actionJson.fieldNames()) {
        if (Boolean.TRUE.equals(actionJson.getValue(name))) {
          readActions.add(name);
        }
      }
    }
    this.actions = Collections.unmodifiableSet(readActions);
  }

  /** Reads an order answer; throws {@link IllegalArgumentException} when it has no id or state. */
  public static OrderView fromJson(JsonObject json) {
    if (json == null || !(json.getValue("id") instanceof String) || !(json.getValue("state") instanceof String)) {
      throw new IllegalArgumentException("an order answer needs a string id and state");
    }
    return new OrderView(json);
  }

  public String id() {
    return id;
  }

  public String state() {
    return state;
  }

  public boolean terminal() {
    return TERMINAL.contains(state);
  }

  public int quantity() {
    return quantity;
  }

  public Amount unitPrice() {
    return unitPrice;
  }

  public Amount total() {
    return total;
  }

  public List<Unit> units() {
    return units;
  }

  /** Deadlines by name ({@code pay_by}, {@code deliver_by}, ...), only those present and readable. */
  public Map<String, Instant> deadlines() {
    if (deadlines == null) {
      deadlines = instants(deadlineTexts);
    }
    return deadlines;
  }

  public Instant nextActionAt() {
    return instant(nextActionAtText);
  }

  /** Refunded to the buyer so far, or null when the answer does not say. */
  public Amount refunded() {
    return refunded;
  }

  /** Released towards the merchant so far (before the fee), or null when the answer does not say. */
  public Amount released() {
    return released;
  }

  /** What the shop's deposit paid the buyer for deadlines it missed, or null when the answer had none. */
  public Amount compensationPaid() {
    return compensationPaid;
  }

  /** Compensation owed that the deposit could not pay, or null when the answer had none. */
  public Amount compensationUnpaid() {
    return compensationUnpaid;
  }

  /** When each timeline event type first happened (an event whose time cannot be read is left out). */
  public Map<String, Instant> timeline() {
    if (timeline == null) {
      timeline = instants(timelineTexts);
    }
    return timeline;
  }

  /** The buyer actions the gateway offers now ({@code reveal}, {@code confirm}, {@code cancel}, {@code dispute}). */
  public boolean can(String action) {
    return actions.contains(action);
  }

  public String merchantId() {
    return merchantId;
  }

  public String skuId() {
    return skuId;
  }

  /**
   * The deadline by which this order must leave its current state, or null when none applies
   * (terminal, or waiting for an arbiter): the gateway's {@code next_action_at}, the moment it said
   * it will act; when the answer has none, the state's named deadline ({@code pay_by},
   * {@code deliver_by}, ...).
   */
  public Instant deadlineForState() {
    if (terminal() || DISPUTED.equals(state)) {
      return null;
    }
    Instant nextActionAt = nextActionAt();
    if (nextActionAt != null) {
      return nextActionAt;
    }
    String name = switch (state) {
      case AWAITING_PAYMENT -> "pay_by";
      case FUNDED, VALIDATING -> "deliver_by";
      case RESUPPLYING -> "resupply_by";
      case READY -> "hold_until";
      case INSPECTION -> "inspection_ends_at";
      default -> null;
    };
    return name == null ? null : deadlines().get(name);
  }

  @Override
  public String toString() {
    return "OrderView[" + id + ", " + state + ", " + units.size() + " units]";
  }

  private static JsonObject object(JsonObject json, String name) {
    return json.getValue(name) instanceof JsonObject object ? object : null;
  }

  private static String idOf(JsonObject json) {
    return json != null && json.getValue("id") instanceof String value ? value : null;
  }

  private static Map<String, Instant> instants(Map<String, String> texts) {
    Map<String, Instant> read = new LinkedHashMap<>();
    texts.forEach((name, text) -> {
      Instant at = instant(text);
      if (at != null) {
        read.put(name, at);
      }
    });
    return Collections.unmodifiableMap(read);
  }

  /** The instant {@code value} names (an ISO-8601 text with an offset), or null when it names none. */
  static Instant instant(Object value) {
    if (!(value instanceof String text)) {
      return null;
    }
    try {
      return java.time.OffsetDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * One unit of the order.
   *
   * @param index 0-based
   * @param state the unit's state code ({@code pending}, {@code valid}, ...)
   * @param key the key, only in a reveal answer for a valid unit; never logged
   */
  public record Unit(int index, String state, String key) {
    @Override
    public String toString() {
      return "Unit[" + index + ", " + state + (key == null ? "" : ", key=redacted") + "]";
    }
  }
}
