package io.keyhold.adapters.spi;

import java.util.Objects;

/**
 * One key a merchant handed out, and the unit it is for; or, when the text the merchant sent breaks
 * the card-key rule on characters ({@link CardKey#isControlCharacter(int)}), a <em>refused</em> key: the
 * unit was delivered, badly. Keyhold judges a refused key invalid and asks for a replacement; it never
 * stores it, shows it or checks it with a validator. Its {@code toString()} shows the unit and
 * {@code CardKey[***]} or {@code refused}, never the text.
 *
 * @param unit the unit of the order the key is for
 * @param key the key itself; null when refused
 * @param refusedText the text of a refused key, only to fingerprint it (a key sent twice is recognised);
 *     null otherwise. Never store, log or show it.
 */
public record DeliveredKey(UnitIndex unit, CardKey key, String refusedText) {

  /** Rejects null parts, and anything but exactly one of a key and a text that breaks the rule. */
  public DeliveredKey {
    Objects.requireNonNull(unit, "unit");
    if ((key == null) == (refusedText == null)) {
      throw new IllegalArgumentException("a delivered key holds either a card key or a refused text, not "
          + (key == null ? "neither" : "both"));
    }
    if (refusedText != null && CardKey.controlCharacterIndex(refusedText) < 0) {
      throw new IllegalArgumentException("a refused text must break the card-key rule on characters");
    }
  }

  /** A good key for {@code unit}. */
  public DeliveredKey(UnitIndex unit, CardKey key) {
    this(unit, Objects.requireNonNull(key, "key"), null);
  }

  /**
   * The key a merchant sent for {@code unit}, as text: refused when it holds a control character,
   * else a {@link CardKey}. Text that is not a key at all (null, blank, longer than
   * {@value CardKey#LENGTH_MAX} characters) throws {@link IllegalArgumentException}, never quoting it.
   */
  public static DeliveredKey of(UnitIndex unit, String text) {
    if (text != null && !text.isBlank() && text.length() <= CardKey.LENGTH_MAX
        && CardKey.controlCharacterIndex(text) >= 0) {
      return new DeliveredKey(unit, null, text);
    }
    return new DeliveredKey(unit, CardKey.of(text));
  }

  /** Whether the text broke the rule on characters: the unit's delivery is invalid. */
  public boolean refused() {
    return refusedText != null;
  }

  @Override
  public String toString() {
    return "DeliveredKey[unit=" + unit + ", key=" + (refused() ? "refused" : key) + "]";
  }
}
