package io.keyhold.adapters.spi;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The named secrets one adapter or validator may use (signing secrets, API tokens), kept apart from
 * its configuration so configuration can be shown and logged while secrets cannot. Immutable.
 * {@link #toString()} lists the names only.
 */
public final class Secrets {

  private static final Secrets NONE = new Secrets(Map.of());

  private final Map<String, String> byName;

  private Secrets(Map<String, String> byName) {
    this.byName = byName;
  }

  /** No secrets. */
  public static Secrets none() {
    return NONE;
  }

  /** These secrets, by name. Names follow {@link Identifiers}; values must not be empty. */
  public static Secrets of(Map<String, String> byName) {
    Objects.requireNonNull(byName, "byName");
    Map<String, String> copy = new TreeMap<>();
    byName.forEach((name, value) -> {
      Identifiers.require("secret name", name);
      if (value == null || value.isEmpty()) {
        throw new IllegalArgumentException("secret '" + name + "' must not be empty");
      }
      copy.put(name, value);
    });
    return new Secrets(Map.copyOf(copy));
  }

  /** The secret with this name, if present. */
  public Optional<String> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** The secret with this name, or an {@link IllegalArgumentException} naming the missing secret. */
  public String require(String name) {
    String value = byName.get(name);
    if (value == null) {
      throw new IllegalArgumentException("secret '" + name + "' must be set, but is missing");
    }
    return value;
  }

  /** The names of the secrets held. */
  public Set<String> names() {
    return new TreeMap<>(byName).keySet();
  }

  /** Names only, never values. */
  @Override
  public String toString() {
    return "Secrets" + names();
  }
}
