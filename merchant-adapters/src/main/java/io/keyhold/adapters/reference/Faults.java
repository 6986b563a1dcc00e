package io.keyhold.adapters.reference;

import io.keyhold.adapters.spi.Range;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The faults the reference merchant injects, switchable at start (command-line flags) and at run time
 * ({@code POST /_faults} with this record's JSON form). Rates are probabilities from 0 to 1 drawn per
 * request (per key for the key faults) from the merchant's seeded random generator, so a run can be
 * replayed. Immutable.
 *
 * @param scope which endpoints the faults apply to
 * @param latencyMs added before every answer, 0 to {@value #LATENCY_MS_MAX}
 * @param errorRate share of requests answered {@code 500}
 * @param timeoutRate share of requests never answered (the connection is closed after a long hold)
 * @param invalidKeyRate share of new keys that are made up (bad checksum, unknown to the issuer)
 * @param redeemedKeyRate share of new keys the issuer already counts as redeemed
 * @param duplicateKeyRate share of new keys that were already given to another order
 * @param signatureFault how a faulty answer signature is wrong
 * @param signatureFaultRate share of answers with a wrong signature
 * @param malformed how a malformed answer is broken (it stays correctly signed)
 * @param malformedRate share of answers that are malformed
 * @param controlCharacterKeyRate share of new keys made up with a control character inside (a right-to-left
 *     override, U+202E), which the protocol forbids
 */
public record Faults(
    Scope scope,
    int latencyMs,
    double errorRate,
    double timeoutRate,
    double invalidKeyRate,
    double redeemedKeyRate,
    double duplicateKeyRate,
    SignatureFault signatureFault,
    double signatureFaultRate,
    Malformation malformed,
    double malformedRate,
    double controlCharacterKeyRate) {

  /** Largest latency that can be injected. */
  public static final int LATENCY_MS_MAX = 60_000;

  private static final Faults NONE =
      new Faults(Scope.ALL, 0, 0, 0, 0, 0, 0, SignatureFault.FORGED, 0, Malformation.NOT_JSON, 0, 0);

  private static final Set<String> FIELDS = Set.of("scope", "latency_ms", "error_rate", "timeout_rate",
      "invalid_key_rate", "redeemed_key_rate", "duplicate_key_rate", "signature_fault", "signature_fault_rate",
      "malformed", "malformed_rate", "control_character_key_rate");

  /** Rejects values out of range, naming them. */
  public Faults {
    requireNonNull(scope, "scope");
    requireNonNull(signatureFault, "signature_fault");
    requireNonNull(malformed, "malformed");
    Range.check("latency_ms", latencyMs, 0, LATENCY_MS_MAX);
    requireRate("error_rate", errorRate);
    requireRate("timeout_rate", timeoutRate);
    requireRate("invalid_key_rate", invalidKeyRate);
    requireRate("redeemed_key_rate", redeemedKeyRate);
    requireRate("duplicate_key_rate", duplicateKeyRate);
    requireRate("signature_fault_rate", signatureFaultRate);
    requireRate("malformed_rate", malformedRate);
    requireRate("control_character_key_rate", controlCharacterKeyRate);
  }

  /** The faults without keys holding control characters (the form callers used before that fault existed). */
  public Faults(Scope scope, int latencyMs, double errorRate, double timeoutRate, double invalidKeyRate,
      double redeemedKeyRate, double duplicateKeyRate, SignatureFault signatureFault, double signatureFaultRate,
      Malformation malformed, double malformedRate) {
    this(scope, latencyMs, errorRate, timeoutRate, invalidKeyRate, redeemedKeyRate, duplicateKeyRate, signatureFault,
        signatureFaultRate, malformed, malformedRate, 0);
  }

  /** No faults: a well-behaved shop. */
  public static Faults none() {
    return NONE;
  }

  /**
   * Reads faults from JSON ({@code snake_case} names as in {@link #toJson()}); fields left out are
   * "no fault". An unknown field is rejected so a typo is not silently ignored.
   */
  public static Faults fromJson(JsonObject json) {
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException("unknown fault '" + field + "'; known: " + new TreeSet<>(FIELDS));
      }
    }
    return new Faults(
        Scope.fromCode(string(json, "scope", NONE.scope.code())),
        integer(json, "latency_ms"),
        rate(json, "error_rate"),
        rate(json, "timeout_rate"),
        rate(json, "invalid_key_rate"),
        rate(json, "redeemed_key_rate"),
        rate(json, "duplicate_key_rate"),
        SignatureFault.fromCode(string(json, "signature_fault", NONE.signatureFault.code())),
        rate(json, "signature_fault_rate"),
        Malformation.fromCode(string(json, "malformed", NONE.malformed.code())),
        rate(json, "malformed_rate"),
        rate(json, "control_character_key_rate"));
  }

  /** The JSON form {@link #fromJson(JsonObject)} reads. */
  public JsonObject toJson() {
    return new JsonObject()
        .put("scope", scope.code())
        .put("latency_ms", latencyMs)
        .put("error_rate", errorRate)
        .put("timeout_rate", timeoutRate)
        .put("invalid_key_rate", invalidKeyRate)
        .put("redeemed_key_rate", redeemedKeyRate)
        .put("duplicate_key_rate", duplicateKeyRate)
        .put("signature_fault", signatureFault.code())
        .put("signature_fault_rate", signatureFaultRate)
        .put("malformed", malformed.code())
        .put("malformed_rate", malformedRate)
        .put("control_character_key_rate", controlCharacterKeyRate);
  }

  /** Whether these faults apply to an endpoint of {@code target}. */
  public boolean appliesTo(Scope target) {
    return scope == Scope.ALL || scope == target;
  }

  private static void requireRate(String name, double rate) {
    if (!(rate >= 0.0 && rate <= 1.0)) {
      throw new IllegalArgumentException(name + " must be between 0 and 1, but was " + rate);
    }
  }

  private static void requireNonNull(Object value, String name) {
    if (value == null) {
      throw new IllegalArgumentException(name + " must be set, but was null");
    }
  }

  private static double rate(JsonObject json, String field) {
    Object value = json.getValue(field, 0);
    if (value instanceof Number number) {
      return number.doubleValue();
    }
    throw new IllegalArgumentException(field + " must be a number, but was " + value);
  }

  private static int integer(JsonObject json, String field) {
    Object value = json.getValue(field, 0);
    if (value instanceof Integer number) {
      return number;
    }
    throw new IllegalArgumentException(field + " must be an integer, but was " + value);
  }

  private static String string(JsonObject json, String field, String fallback) {
    Object value = json.getValue(field, fallback);
    if (value instanceof String text) {
      return text;
    }
    throw new IllegalArgumentException(field + " must be a string, but was " + value);
  }

  private static <E extends Enum<E>> Map<String, E> byCode(E[] values, Function<E, String> code) {
    return Arrays.stream(values).collect(Collectors.toUnmodifiableMap(code, Function.identity()));
  }

  private static <E> E lookUp(Map<String, E> byCode, String field, String code) {
    E value = byCode.get(code.toLowerCase(Locale.ROOT));
    if (value == null) {
      throw new IllegalArgumentException(field + " must be one of " + new TreeSet<>(byCode.keySet())
          + ", but was " + code);
    }
    return value;
  }

  /** Which endpoints faults apply to. */
  public enum Scope {
    /** The merchant protocol and the issuer check. */
    ALL("all"),
    /** The merchant protocol only (reservations, deliveries, replacements). */
    MERCHANT("merchant"),
    /** The issuer check only. */
    ISSUER("issuer");

    private static final Map<String, Scope> BY_CODE = byCode(values(), Scope::code);
    private final String code;

    Scope(String code) {
      this.code = code;
    }

    /** The stable name. */
    public String code() {
      return code;
    }

    /** The scope with this name. */
    public static Scope fromCode(String code) {
      return lookUp(BY_CODE, "scope", code);
    }
  }

  /** How a faulty answer signature is wrong. */
  public enum SignatureFault {
    /** Signed with a secret nobody shares. */
    FORGED("forged"),
    /** Signed correctly, but with a {@code t} older than the replay window. */
    STALE("stale"),
    /** No signature header. */
    MISSING("missing"),
    /** The previous answer sent again, body and header unchanged. */
    REPLAYED("replayed");

    private static final Map<String, SignatureFault> BY_CODE = byCode(values(), SignatureFault::code);
    private final String code;

    SignatureFault(String code) {
      this.code = code;
    }

    /** The stable name. */
    public String code() {
      return code;
    }

    /** The fault with this name. */
    public static SignatureFault fromCode(String code) {
      return lookUp(BY_CODE, "signature_fault", code);
    }
  }

  /** How a malformed answer is broken. It stays correctly signed, so only parsing can catch it. */
  public enum Malformation {
    /** Truncated JSON text. */
    NOT_JSON("not_json"),
    /** A JSON array instead of an object. */
    NOT_OBJECT("not_object"),
    /** Only {@code request_id} left. */
    MISSING_FIELDS("missing_fields"),
    /** Every field but {@code request_id} has another JSON type. */
    WRONG_TYPES("wrong_types"),
    /** Another request's id. */
    WRONG_REQUEST_ID("wrong_request_id"),
    /** Padded beyond the protocol's answer limit. */
    OVERSIZED("oversized");

    private static final Map<String, Malformation> BY_CODE = byCode(values(), Malformation::code);
    private final String code;

    Malformation(String code) {
      this.code = code;
    }

    /** The stable name. */
    public String code() {
      return code;
    }

    /** The malformation with this name. */
    public static Malformation fromCode(String code) {
      return lookUp(BY_CODE, "malformed", code);
    }
  }
}
