package io.keyhold.escrow;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every persisted or wire code is unique within its enum, round-trips, and rejects unknown text. */
class PersistedCodesTest {

  static Stream<Arguments> codedEnums() {
    return Stream.of(
        codes(OrderState.class, OrderState::fromCode),
        codes(UnitState.class, UnitState::fromCode),
        codes(KeyVerdict.class, KeyVerdict::fromCode),
        codes(OrderArrow.class, OrderArrow::fromCode),
        codes(EvidenceType.class, EvidenceType::fromCode),
        codes(RejectionCode.class, RejectionCode::fromCode),
        codes(EffectKind.class, EffectKind::fromCode),
        codes(ReplacementReason.class, ReplacementReason::fromCode),
        codes(RefundReason.class, RefundReason::fromCode),
        codes(ReleaseReason.class, ReleaseReason::fromCode),
        codes(DisputeReason.class, DisputeReason::fromCode),
        codes(Award.class, Award::fromCode),
        codes(PaymentUse.class, PaymentUse::fromCode),
        codes(UnknownVerdictPolicy.class, UnknownVerdictPolicy::fromCode),
        codes(LatePaymentPolicy.class, LatePaymentPolicy::fromCode),
        codes(Compensation.Basis.class, Compensation.Basis::fromCode));
  }

  private static <E extends Enum<E> & Coded> Arguments codes(Class<E> type, Function<String, E> fromCode) {
    return Arguments.of(type.getSimpleName(), List.of(type.getEnumConstants()), fromCode);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codedEnums")
  void codesAreUniqueAndRoundTrip(String name, List<? extends Coded> constants, Function<String, Object> fromCode) {
    assertThat(constants).extracting(Coded::code).doesNotHaveDuplicates()
        .allSatisfy(code -> assertThat(code).matches("[a-z0-9_.]+"));
    for (Coded constant : constants) {
      assertThat(fromCode.apply(constant.code())).isSameAs(constant);
    }
    assertThatThrownBy(() -> fromCode.apply("no-such-code")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no-such-code");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("codedEnums")
  void codesDoNotDependOnDeclarationOrder(String name, List<? extends Coded> constants, Function<String, Object> f) {
    assertThat(constants).extracting(Coded::code)
        .noneMatch(code -> Arrays.stream(code.split("[_.]")).allMatch(part -> part.matches("\\d+")));
  }

  @org.junit.jupiter.api.Test
  void hasOneEffectKindPerEffectRecord() {
    assertThat(EffectKind.values()).hasSize(Effect.class.getPermittedSubclasses().length);
  }
}
