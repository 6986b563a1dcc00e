package io.keyhold.escrow;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** escrow-core knows no framework: its classes depend on the JDK and on each other only. */
class ArchitectureTest {

  private static final JavaClasses CORE = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.keyhold.escrow");

  @Test
  void importsTheWholeDomain() {
    assertThat(CORE.contain(Order.class)).isTrue();
    assertThat(CORE).hasSizeGreaterThan(30);
  }

  @Test
  void dependsOnlyOnTheJdkAndItself() {
    classes().that().resideInAPackage("io.keyhold.escrow..")
        .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "io.keyhold.escrow..")
        .check(CORE);
  }

  @Test
  void neverReadsTheClockStartsThreadsOrDoesIo() {
    noClasses().that().resideInAPackage("io.keyhold.escrow..")
        .should().callMethod(java.time.Instant.class, "now")
        .orShould().callMethod(System.class, "currentTimeMillis")
        .orShould().callMethod(System.class, "nanoTime")
        .orShould().dependOnClassesThat().resideInAnyPackage("java.io..", "java.nio.file..", "java.net..",
            "java.util.concurrent..", "java.sql..")
        .orShould().dependOnClassesThat().areAssignableTo(Thread.class)
        .orShould().dependOnClassesThat().haveFullyQualifiedName("java.time.Clock")
        .check(CORE);
  }

  private static final DescribedPredicate<JavaField> NOT_ENUM_CONSTANTS =
      DescribedPredicate.describe("are not enum constants", field -> !field.getRawType().equals(field.getOwner()));

  @Test
  void namesEveryLimitWithMaxOrMinLast() {
    // A limit ends in _MAX or _MIN (MAX_HOLD_MAX: the largest max hold); enum constants are no limits.
    noFields().that().areStatic().and().areFinal().and(NOT_ENUM_CONSTANTS)
        .should().haveNameMatching("(MAX|MIN)_.*(?<!_MAX|_MIN)").orShould().haveNameMatching(".*_(LIMIT|MAXIMUM|MINIMUM)")
        .check(CORE);
  }
}
