package io.keyhold.adapters;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noMethods;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.keyhold.adapters.spi.MerchantAdapter;
import io.keyhold.adapters.spi.Range;
import org.junit.jupiter.api.Test;

/** merchant-adapters names its limits like the rest of Keyhold and checks ranges in one place. */
class ArchitectureTest {

  private static final JavaClasses ADAPTERS = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.keyhold.adapters");

  private static final DescribedPredicate<JavaField> NOT_ENUM_CONSTANTS =
      DescribedPredicate.describe("are not enum constants", field -> !field.getRawType().equals(field.getOwner()));

  @Test
  void importsTheWholeModule() {
    assertThat(ADAPTERS.contain(MerchantAdapter.class)).isTrue();
    assertThat(ADAPTERS).hasSizeGreaterThan(30);
  }

  @Test
  void namesEveryLimitWithMaxOrMinLast() {
    // A limit ends in _MAX or _MIN (MAX_CONCURRENT_CALLS_MAX: the largest max concurrent calls); enum
    // constants are no limits. Interface constants are static final fields too.
    noFields().that().areStatic().and().areFinal().and(NOT_ENUM_CONSTANTS)
        .should().haveNameMatching("(MAX|MIN)_.*(?<!_MAX|_MIN)").orShould().haveNameMatching(".*_(LIMIT|MAXIMUM|MINIMUM)")
        .check(ADAPTERS);
  }

  @Test
  void keepsOneRangeCheck() {
    // A private inRange(...) beside Range is how the second copy began.
    noMethods().that().areDeclaredInClassesThat().doNotHaveFullyQualifiedName(Range.class.getName())
        .should().haveNameMatching("(?i).*range.*")
        .check(ADAPTERS);
  }
}
