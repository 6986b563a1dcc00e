package io.keyhold.gateway.api.pages;

import java.util.Locale;

/**
 * The pages' language: simplified Chinese ({@code zh-CN}) for Chinese browsers, English otherwise.
 * An explicit {@code ?lang=} wins; then the {@code Accept-Language} entry with the highest weight
 * (the first of equal weights) decides; without the header the page asks the browser itself.
 */
final class Languages {
  public static final String CHINESE = "zh-CN";
  public static final String ENGLISH = "en";
  /** Longer headers are not from a browser; read only this much. */
  public static final int HEADER_LENGTH_MAX = 500;
  /** Entries read from the header at most. */
  public static final int ENTRIES_MAX = 20;

  private Languages() {}

  /**
   * The chosen language and where it came from.
   *
   * @param tag {@code zh-CN} or {@code en}
   * @param source {@code query}, {@code header} or {@code default} (the page may then ask the browser)
   */
  public record Choice(String tag, String source) {}

  public static Choice choose(String query, String acceptLanguage) {
    if (CHINESE.equals(query) || ENGLISH.equals(query)) {
      return new Choice(query, "query");
    }
    if (acceptLanguage == null || acceptLanguage.isBlank()) {
      return new Choice(ENGLISH, "default");
    }
    String header = acceptLanguage.length() > HEADER_LENGTH_MAX
        ? acceptLanguage.substring(0, HEADER_LENGTH_MAX) : acceptLanguage;
    String best = null;
    double bestWeight = 0;
    String[] entries = header.split(",", ENTRIES_MAX + 1);
    for (int i = 0; i < Math.min(entries.length, ENTRIES_MAX); i++) {
      String[] parts = entries[i].trim().split(";");
      String tag = parts[0].trim().toLowerCase(Locale.ROOT);
      double weight = 1;
      for (int p = 1; p < parts.length; p++) {
        String parameter = parts[p].trim();
        if (parameter.startsWith("q=")) {
          try {
            weight = Double.parseDouble(parameter.substring(2));
          } catch (NumberFormatException e) {
            weight = 0;
          }
        }
      }
      if (!tag.isEmpty() && !"*".equals(tag) && weight > bestWeight) {
        best = tag;
        bestWeight = weight;
      }
    }
    if (best == null) {
      return new Choice(ENGLISH, "default");
    }
    return new Choice(best.equals("zh") || best.startsWith("zh-") ? CHINESE : ENGLISH, "header");
  }
}
