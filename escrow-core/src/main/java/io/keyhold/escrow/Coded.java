package io.keyhold.escrow;

/**
 * A value with a stable, explicit code: what is persisted and sent over the wire instead of the enum
 * constant's position or name, so that constants can be renamed or reordered safely.
 *
 * <p>Every enum of escrow-core that is stored or sent implements this and offers a static
 * {@code fromCode(String)} that throws {@link IllegalArgumentException} naming an unknown code.
 */
public interface Coded {

  /** The stable code; never changes once released. */
  String code();
}
