package io.keyhold.escrow;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
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
}
