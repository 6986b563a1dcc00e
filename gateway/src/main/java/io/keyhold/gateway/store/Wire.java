package io.keyhold.gateway.store;

import io.keyhold.escrow.Money;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalDate;
import java.time.Month;
import java.time.OffsetDateTime;
import java.time.Year;
import java.util.HexFormat;

/** How values look on the wire (openapi.yaml): amounts as {@code {amount, currency}}, times as RFC 3339 UTC. */
public final class Wire {
  /** 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the times {@link #time(Instant)} writes by hand. */
  static final long HAND_WRITTEN_SECONDS_MIN = 0;
  static final long HAND_WRITTEN_SECONDS_MAX = 253_402_300_799L;
  private static final long SECONDS_PER_DAY = 86_400;
  /** {@code yyyy-MM-ddTHH:mm:ss.nnnnnnnnnZ}. */
  private static final int TIME_LENGTH_MAX = 30;
  private static final String UTC_OFFSET = "+00:00";
  private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
      100_000_000};

  private Wire() {}

  /** {@code {"amount": <minor units>, "currency": "<ISO 4217>"}}. */
  public static JsonObject money(Money money) {
    return money(money.minorUnits(), money.currency().getCurrencyCode());
  }

  /** {@code {"amount": <minor units>, "currency": "<ISO 4217>"}}. */
  public static JsonObject money(long minorUnits, String currency) {
    return new JsonObject().put("amount", minorUnits).put("currency", currency);
  }

  /**
   * RFC 3339 UTC with the stored precision (microseconds at most), or null: exactly {@link Instant#toString()}'s
   * text (fraction in groups of three digits, none when zero). Every view writes several, so years 1970 to 9999 are
   * written by hand rather than by java.time's formatter, the top of the views' profile; other years go through it.
   */
  public static String time(Instant instant) {
    if (instant == null) {
      return null;
    }
    long seconds = instant.getEpochSecond();
    if (seconds < HAND_WRITTEN_SECONDS_MIN || seconds > HAND_WRITTEN_SECONDS_MAX) {
      return instant.toString();
    }
    LocalDate date = LocalDate.ofEpochDay(seconds / SECONDS_PER_DAY);
    int secondOfDay = (int) (seconds % SECONDS_PER_DAY);
    StringBuilder text = new StringBuilder(TIME_LENGTH_MAX);
    digits(text, date.getYear(), 4).append('-');
    digits(text, date.getMonthValue(), 2).append('-');
    digits(text, date.getDayOfMonth(), 2).append('T');
    digits(text, secondOfDay / 3_600, 2).append(':');
    digits(text, secondOfDay / 60 % 60, 2).append(':');
    digits(text, secondOfDay % 60, 2);
    int nanos = instant.getNano();
    if (nanos != 0) {
      text.append('.');
      if (nanos % 1_000_000 == 0) {
        digits(text, nanos / 1_000_000, 3);
      } else if (nanos % 1_000 == 0) {
        digits(text, nanos / 1_000, 6);
      } else {
        digits(text, nanos, 9);
      }
    }
    return text.append('Z').toString();
  }

  /** {@link #time(Instant)} of a database timestamp, or null. */
  public static String time(OffsetDateTime time) {
    return time == null ? null : time(time.toInstant());
  }

  /**
   * Reads an RFC 3339 time, or null: the texts {@link #time(Instant)} writes and PostgreSQL's JSON of a timestamp in
   * UTC ({@code 2026-12-04T20:15:01.123456+00:00}) by hand; any other by java.time, which also refuses what is not a
   * time ({@link java.time.format.DateTimeParseException}).
   */
  public static Instant instant(String text) {
    if (text == null) {
      return null;
    }
    Instant read = readByHand(text);
    return read != null ? read : OffsetDateTime.parse(text).toInstant();
  }

  /** {@code yyyy-MM-ddTHH:mm:ss[.f{1,9}]} then {@code Z} or {@code +00:00}; null for anything else. */
  private static Instant readByHand(String text) {
    int length = text.length();
    if (length < 20 || text.charAt(4) != '-' || text.charAt(7) != '-' || text.charAt(10) != 'T'
        || text.charAt(13) != ':' || text.charAt(16) != ':') {
      return null;
    }
    int year = number(text, 0, 4);
    int month = number(text, 5, 7);
    int day = number(text, 8, 10);
    int hour = number(text, 11, 13);
    int minute = number(text, 14, 16);
    int second = number(text, 17, 19);
    if (year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > Month.of(month).length(Year.isLeap(year))
        || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
      return null;
    }
    int at = 19;
    int nanos = 0;
    if (text.charAt(at) == '.') {
      int first = ++at;
      while (at < length && text.charAt(at) >= '0' && text.charAt(at) <= '9') {
        at++;
      }
      int count = at - first;
      if (count == 0 || count > 9) {
        return null;
      }
      nanos = number(text, first, at) * POWERS_OF_TEN[9 - count];
    }
    boolean utc = at == length - 1 && text.charAt(at) == 'Z'
        || at == length - UTC_OFFSET.length() && text.startsWith(UTC_OFFSET, at);
    if (!utc) {
      return null;
    }
    long epochDay = LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(epochDay * SECONDS_PER_DAY + hour * 3_600L + minute * 60L + second, nanos);
  }

  /** The decimal number of {@code text[from, to)}, at most 9 digits; -1 when any is not a digit. */
  private static int number(String text, int from, int to) {
    int value = 0;
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  private static StringBuilder digits(StringBuilder text, int value, int width) {
    for (int place = POWERS_OF_TEN[width - 1]; place > 0; place /= 10) {
      text.append((char) ('0' + value / place % 10));
    }
    return text;
  }

  /** Lower-case hex of stored bytes (fingerprints), or null. */
  public static String hex(byte[] bytes) {
    return bytes == null ? null : HexFormat.of().formatHex(bytes);
  }
}
