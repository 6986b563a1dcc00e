package io.keyhold.adapters.http;

/**
 * The fixed numbers and names of the Keyhold merchant protocol, version 1, as PROTOCOL.md states them:
 * paths below a merchant's base URL, body limits, and content types. Shared by the {@code http}
 * adapter, the {@code http} validator and the reference merchant, so the three cannot drift apart.
 */
public final class MerchantProtocol {

  /** Reserve stock (PROTOCOL.md 4.1). */
  public static final String PATH_RESERVATIONS = "/v1/reservations";
  /** Cancel a reservation (4.2). */
  public static final String PATH_CANCEL_RESERVATION = "/v1/reservations/cancel";
  /** Deliver keys (5.1). */
  public static final String PATH_DELIVERIES = "/v1/deliveries";
  /** Replace a key (5.2). */
  public static final String PATH_REPLACEMENTS = "/v1/replacements";
  /** An issuer's check-only endpoint (6). */
  public static final String PATH_CHECKS = "/v1/checks";

  /** Largest request body a shop must accept, and largest answer body Keyhold reads. */
  public static final int BODY_BYTES_MAX = 65_536;
  /** Most units one delivery request may ask for. */
  public static final int UNITS_PER_DELIVERY_MAX = 100;
  /** Most replacements of one unit. */
  public static final int REPLACE_ATTEMPTS_MAX = 20;

  /** Content type of requests and successful answers. */
  public static final String CONTENT_TYPE_JSON = "application/json";
  /** Content type of error answers (RFC 9457). */
  public static final String CONTENT_TYPE_PROBLEM = "application/problem+json";
  /** Prefix of the {@code type} URI of a problem; the code follows. */
  public static final String PROBLEM_TYPE_PREFIX = "https://keyhold.io/problems/";

  private MerchantProtocol() {}
}
