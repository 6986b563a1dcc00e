package io.keyhold.gateway;

import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noFields;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.keyhold.gateway.api.Endpoints;
import io.keyhold.gateway.engine.Payments;
import io.keyhold.gateway.store.OrderStore;
import org.junit.jupiter.api.Test;

/**
 * The gateway's layers point one way: api → engine → adapters → store → crypto, each using only
 * the layers below it (any of them); nothing points up. The root package is the composition root and
 * may use everything, but nothing uses it.
 */
class LayersTest {
  private static final String API = "io.keyhold.gateway.api..";
  private static final String ENGINE = "io.keyhold.gateway.engine..";
  private static final String ADAPTERS = "io.keyhold.gateway.adapters..";
  private static final String STORE = "io.keyhold.gateway.store..";
  private static final String CRYPTO = "io.keyhold.gateway.crypto..";
  private static final String ROOT = "io.keyhold.gateway";

  private static final JavaClasses GATEWAY = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("io.keyhold.gateway");

  @Test
  void importsTheWholeGateway() {
    assertThat(GATEWAY.contain(Gateway.class)).isTrue();
    assertThat(GATEWAY.contain(Endpoints.class)).isTrue();
    assertThat(GATEWAY.contain(Payments.class)).isTrue();
    assertThat(GATEWAY.contain(OrderStore.class)).isTrue();
  }

  @Test
  void everyClassLivesInALayerOrTheCompositionRoot() {
    classes().should().resideInAnyPackage(ROOT, API, ENGINE, ADAPTERS, STORE, CRYPTO).check(GATEWAY);
  }

  @Test
  void layersPointDownOnly() {
    layeredArchitecture().consideringOnlyDependenciesInAnyPackage("io.keyhold.gateway..")
        .layer("Root").definedBy(ROOT)
        .layer("Api").definedBy(API)
        .layer("Engine").definedBy(ENGINE)
        .layer("Adapters").definedBy(ADAPTERS)
        .layer("Store").definedBy(STORE)
        .layer("Crypto").definedBy(CRYPTO)
        .whereLayer("Root").mayNotBeAccessedByAnyLayer()
        .whereLayer("Api").mayOnlyBeAccessedByLayers("Root")
        .whereLayer("Engine").mayOnlyBeAccessedByLayers("Root", "Api")
        .whereLayer("Adapters").mayOnlyBeAccessedByLayers("Root", "Api", "Engine")
        .whereLayer("Store").mayOnlyBeAccessedByLayers("Root", "Api", "Engine", "Adapters")
        .whereLayer("Crypto").mayOnlyBeAccessedByLayers("Root", "Api", "Engine", "Adapters", "Store")
        .check(GATEWAY);
  }

  @Test
  void onlyTheApiSpeaksHttpServer() {
    noClasses().that().resideInAnyPackage(ENGINE, ADAPTERS, STORE, CRYPTO)
        .should().dependOnClassesThat().resideInAnyPackage("io.vertx.ext.web", "io.vertx.ext.web.handler..",
            "io.vertx.openapi..")
        .check(GATEWAY);
  }

  private static final DescribedPredicate<JavaField> NOT_ENUM_CONSTANTS =
      DescribedPredicate.describe("are not enum constants", field -> !field.getRawType().equals(field.getOwner()));

  @Test
  void namesEveryLimitWithMaxOrMinLast() {
    // A limit ends in _MAX or _MIN (MAX_HOLD_MAX: the largest max hold); enum constants are no limits.
    noFields().that().areStatic().and().areFinal().and(NOT_ENUM_CONSTANTS)
        .should().haveNameMatching("(MAX|MIN)_.*(?<!_MAX|_MIN)").orShould().haveNameMatching(".*_(LIMIT|MAXIMUM|MINIMUM)")
        .check(GATEWAY);
  }
}
