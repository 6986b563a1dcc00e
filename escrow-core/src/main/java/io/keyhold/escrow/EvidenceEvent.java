package io.keyhold.escrow;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One link of an order's tamper-evident record. Each event carries the hash of the one before it
 * ({@link #GENESIS_HASH} for the first), and its own {@link #hash} is the SHA-256 of a canonical
 * encoding of all its other fields, {@code prevHash} included; {@link EvidenceChain#verify} checks a
 * whole chain. Details hold ids, codes, amounts and key fingerprints — never a card key.
 *
 * <p>The canonical encoding is a sequence of netstring-like fields, each {@code <byte length>:<UTF-8
 * bytes>,}: the version tag {@code keyhold-evidence-v1}, the order id, the sequence number, the type
 * code, the time ({@link Instant#toString()}), the number of details, each detail key and value in key
 * order, and the previous hash. Length prefixes make it unambiguous whatever the values contain.
 *
 * @param orderId the order the chain belongs to
 * @param seq the position in the chain, from 1
 * @param type what happened
 * @param at when it happened (the {@code now} the gateway passed, truncated to microseconds)
 * @param details small string map, sorted by key
 * @param prevHash the previous event's hash, or {@link #GENESIS_HASH}
 * @param hash SHA-256 over the canonical encoding, lower-case hex
 */
public record EvidenceEvent(
    String orderId, long seq, EvidenceType type, Instant at, Map<String, String> details,
    String prevHash, String hash) {

  /** The previous hash of an order's first event: 64 zeros. */
  public static final String GENESIS_HASH = "0".repeat(64);
  /** The most details one event may carry. */
  public static final int DETAILS_MAX = 24;
  /** The longest detail value. */
  public static final int DETAIL_VALUE_LENGTH_MAX = 512;

  private static final String VERSION_TAG = "keyhold-evidence-v1";

  /** Checks shapes and limits; the hash itself is checked by {@link EvidenceChain#verify}. */
  public EvidenceEvent {
    Check.id("orderId", orderId);
    Check.atLeast("seq", seq, 1);
    Objects.requireNonNull(type, "type must not be null");
    Objects.requireNonNull(at, "at must not be null");
    details = checkedDetails(details);
    Check.matching("prevHash", prevHash, Check.HEX_64);
    Check.matching("hash", hash, Check.HEX_64);
  }

  /** A new event linked to {@code prevHash}, with its hash computed. */
  public static EvidenceEvent link(
      String orderId, long seq, EvidenceType type, Instant at, Map<String, String> details, String prevHash) {
    Map<String, String> sorted = checkedDetails(details);
    return new EvidenceEvent(orderId, seq, type, at, sorted, prevHash,
        computeHash(orderId, seq, type, at, sorted, prevHash));
  }

  private static Map<String, String> checkedDetails(Map<String, String> details) {
    Objects.requireNonNull(details, "details must not be null");
    if (details.size() > DETAILS_MAX) {
      throw new IllegalArgumentException(
          "details must hold at most " + DETAILS_MAX + " entries, but held " + details.size());
    }
    TreeMap<String, String> sorted = new TreeMap<>();
    details.forEach((key, value) -> {
      Check.matching("detail key", key, Check.DETAIL_KEY);
      Objects.requireNonNull(value, "detail '" + key + "' must not be null");
      if (value.length() > DETAIL_VALUE_LENGTH_MAX) {
        throw new IllegalArgumentException("detail '" + key + "' must be at most "
            + DETAIL_VALUE_LENGTH_MAX + " characters, but was " + value.length());
      }
      sorted.put(key, value);
    });
    return Collections.unmodifiableMap(sorted);
  }

  /** The hash these fields should have; equal to {@link #hash()} unless the event was altered. */
  public String expectedHash() {
    return computeHash(orderId, seq, type, at, details, prevHash);
  }

  private static String computeHash(
      String orderId, long seq, EvidenceType type, Instant at, Map<String, String> details, String prevHash) {
    MessageDigest digest = sha256();
    field(digest, VERSION_TAG);
    field(digest, orderId);
    field(digest, Long.toString(seq));
    field(digest, type.code());
    field(digest, at.toString());
    field(digest, Integer.toString(details.size()));
    new TreeMap<>(details).forEach((key, value) -> {
      field(digest, key);
      field(digest, value);
    });
    field(digest, prevHash);
    return HexFormat.of().formatHex(digest.digest());
  }

  private static void field(MessageDigest digest, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    digest.update((bytes.length + ":").getBytes(StandardCharsets.US_ASCII));
    digest.update(bytes);
    digest.update((byte) ',');
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      // Every Java platform must provide SHA-256, so this is a broken runtime.
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }
}
