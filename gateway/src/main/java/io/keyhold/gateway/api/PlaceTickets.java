package io.keyhold.gateway.api;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Places in the waiting room's line as tickets a caller carries back: {@code <place>.<due at>.<issued at>.<MAC>}
 * (times in epoch seconds). Nothing is kept per ticket: the MAC (HMAC-SHA256 under a key of this process, cut to
 * 16 bytes) is what stops a caller from writing itself an earlier place or turn, and a ticket older than
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

  /** A place in line, and when its holder was told to come back. */
  record Ticket(long place, long dueAtSeconds) {}

  private final SecretKeySpec key;
  private final ThreadLocal<Mac> macs;

  PlaceTickets() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    this.key = new SecretKeySpec(secret, ALGORITHM);
    this.macs = ThreadLocal.withInitial(this::newMac);
  }

  /** The ticket for {@code ticket}'s place and turn, issued at {@code nowSeconds}. */
  String issue(Ticket ticket, long nowSeconds) {
    String body = ticket.place() + "." + ticket.dueAtSeconds() + "." + nowSeconds;
    return body + "." + mac(body);
  }

  /**
   * The place and turn a ticket holds, or null when {@code ticket} is absent, malformed, not signed here, or older
   * than {@link #TTL_SECONDS} at {@code nowSeconds}.
   */
  Ticket read(String ticket, long nowSeconds) {
    if (ticket == null || ticket.length() > LENGTH_MAX) {
      return null;
    }
    int first = ticket.indexOf('.');
    int second = first < 0 ? -1 : ticket.indexOf('.', first + 1);
    int third = second < 0 ? -1 : ticket.indexOf('.', second + 1);
    if (first <= 0 || second <= first + 1 || third <= second + 1) {
      return null;
    }
    long place;
    long dueAt;
    long issuedAt;
    try {
      place = Long.parseLong(ticket, 0, first, 10);
      dueAt = Long.parseLong(ticket, first + 1, second, 10);
      issuedAt = Long.parseLong(ticket, second + 1, third, 10);
    } catch (NumberFormatException e) {
      return null;
    }
    if (place < 0 || issuedAt > nowSeconds || nowSeconds - issuedAt > TTL_SECONDS) {
      return null;
    }
    byte[] expected = mac(ticket.substring(0, third)).getBytes(StandardCharsets.US_ASCII);
    byte[] presented = ticket.substring(third + 1).getBytes(StandardCharsets.US_ASCII);
    return MessageDigest.isEqual(expected, presented) ? new Ticket(place, dueAt) : null;
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
