package io.keyhold.adapters.validators;

import io.keyhold.adapters.spi.CardKey;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.json.JsonObject;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * What a SKU's keys look like: characters to ignore (spaces, dashes), a pattern the rest must match
 * in full, and a checksum. Immutable.
 *
 * <p>Configuration: {@code {"pattern": "[0-9]{16}", "checksum": "luhn", "ignore": " -"}}; only
 * {@code pattern} is required. Patterns come from operator configuration and run on keys of at most
 * {@value CardKey#LENGTH_MAX} characters.
 *
 * @param pattern the pattern the key, without ignored characters, must match in full
 * @param checksum the checksum it must satisfy
 * @param ignoredCharacters characters removed before matching
 */
public record FormatRule(Pattern pattern, Checksum checksum, String ignoredCharacters) {

  /** Longest pattern accepted, in characters. */
  public static final int PATTERN_LENGTH_MAX = 512;

  private static final Set<String> FIELDS = Set.of("pattern", "checksum", "ignore");

  /** Rejects null parts. */
  public FormatRule {
    Objects.requireNonNull(pattern, "pattern");
    Objects.requireNonNull(checksum, "checksum");
    Objects.requireNonNull(ignoredCharacters, "ignoredCharacters");
  }

  /** Reads a rule; a missing or bad field is an {@link IllegalArgumentException} naming it. */
  public static FormatRule fromJson(String where, JsonObject json) {
    for (String field : json.fieldNames()) {
      if (!FIELDS.contains(field)) {
        throw new IllegalArgumentException(where + ": unknown field '" + field + "'; known: " + FIELDS);
      }
    }
    if (!(json.getValue("pattern") instanceof String regex) || regex.isEmpty() || regex.length() > PATTERN_LENGTH_MAX) {
      throw new IllegalArgumentException(
          where + ".pattern must be a regular expression of 1 to " + PATTERN_LENGTH_MAX + " characters");
    }
    Pattern pattern;
    try {
      pattern = Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(where + ".pattern is not a valid regular expression: " + e.getDescription());
    }
    Object checksum = json.getValue("checksum", Checksum.NONE.code());
    if (!(checksum instanceof String checksumCode)) {
      throw new IllegalArgumentException(where + ".checksum must be a string, but was " + checksum);
    }
    Object ignore = json.getValue("ignore", "");
    if (!(ignore instanceof String ignored)) {
      throw new IllegalArgumentException(where + ".ignore must be a string, but was " + ignore);
    }
    return new FormatRule(pattern, Checksum.fromCode(checksumCode), ignored);
  }

  /** {@link KeyVerdict#VALID} when the key has this format, else {@link KeyVerdict#INVALID}. */
  public KeyVerdict check(CardKey key) {
    String text = strip(key.reveal());
    if (!pattern.matcher(text).matches()) {
      return KeyVerdict.INVALID;
    }
    return checksum.isValid(text) ? KeyVerdict.VALID : KeyVerdict.INVALID;
  }

  private String strip(String text) {
    if (ignoredCharacters.isEmpty()) {
      return text;
    }
    StringBuilder kept = new StringBuilder(text.length());
    for (int i = 0; i < text.length(); i++) {
      if (ignoredCharacters.indexOf(text.charAt(i)) < 0) {
        kept.append(text.charAt(i));
      }
    }
    return kept.toString();
  }
}
