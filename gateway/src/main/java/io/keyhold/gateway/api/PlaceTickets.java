package io.keyhold.gateway.api;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Places in the waiting room's line as tickets a caller carries back: {@code <place>.<issued at, epoch
 * seconds>.<MAC>}. Nothing is kept per ticket: the MAC (HMAC-SHA256 under a key of this process, cut to 16
 * bytes) is what stops a caller from writing itself an earlier place, and a ticket older than
 * {@link #TTL_SECONDS} is no longer a place. A ticket of another gateway instance, or of this one before a
 * restart, is no place here: its caller queues again as a newcomer.
 */
final class PlaceTickets {
  /** How long a ticket keeps its place: a few {@code Retry-After}s at their longest. */
  static final long TTL_SECONDS = 120;
  /** The longest ticket read; anything longer is no ticket. */
  static final int LENGTH_MAX = 128;
  private static final int MAC_BYTES = 16;
  private static final String ALGORITHM = "HmacSHA256";
  private static final HexFormat HEX = HexFormat.of();

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  PlaceTickets() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.key = new SecretKeySpec(secret, ALGORITHM);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** The ticket for {@code place}, issued at {@code nowSeconds}. */
  String issue(long place, long nowSeconds) {
    String body = place + "." + nowSeconds;
    return body + "." + mac(body);
  }

  /**
   * The place a ticket holds, or -1 when {@code ticket} is absent, malformed, not signed here, or older than
   * {@link #TTL_SECONDS} at {@code nowSeconds}.
   */
  long place(String ticket, long nowSeconds) {
    if (ticket == null || ticket.length() > LENGTH_MAX) {
      return -1;
    }
    int first = ticket.indexOf('.');
    int second = first < 0 ? -1 : ticket.indexOf('.', first + 1);
    if (first <= 0 || second <= first + 1) {
      return -1;
    }
    long place;
    long issuedAt;
    try {
      place = Long.parseLong(ticket, 0, first, 10);
      issuedAt = Long.parseLong(ticket, first + 1, second, 10);
    } catch (NumberFormatException e) {
      return -1;
    }
    if (place < 0 || issuedAt > nowSeconds || nowSeconds - issuedAt > TTL_SECONDS) {
      return -1;
    }
    byte[] expected = mac(ticket.substring(0, second)).getBytes(StandardCharsets.US_ASCII);
    byte[] presented = ticket.substring(second + 1).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, presented) ? place : -1;
  }

  private String mac(String body) {
    byte[] full = macs.get().doFinal(body.getBytes(StandardCharsets.US_ASCII));
    return HEX.formatHex(full, 0, MAC_BYTES);
  }

  private Mac newMac() {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(ALGORITHM + " unavailable", e);
    }
  }
}
