package io.keyhold.adapters.http;

import static io.keyhold.adapters.contract.Await.result;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.keyhold.adapters.reference.Faults;
import io.keyhold.adapters.reference.ReferenceMerchant;
import io.keyhold.adapters.reference.ReferenceMerchantOptions;
import io.keyhold.adapters.resilience.MerchantPolicy;
import io.keyhold.adapters.spi.AdapterContext;
import io.keyhold.adapters.spi.AdapterRegistry;
import io.keyhold.adapters.spi.CardKey;
import io.keyhold.adapters.spi.KeyValidator;
import io.keyhold.adapters.spi.Secrets;
import io.keyhold.adapters.testing.LocalRules;
import io.keyhold.escrow.KeyVerdict;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * An issuer check that gives no verdict is UNKNOWN whatever went wrong, but the operator's log says what
 * went wrong: a signature that does not verify is a setup mistake and is named, not taken for a slow issuer.
 */
class IssuerFailureLogTest {
  private static final String ISSUER_SECRET = "issuer-secret-0123456789abcdef";
  private static final String OTHER_SECRET = "another-secret-0123456789abcdef";
  private static final MerchantPolicy FAST = MerchantPolicy.builder()
      .timeoutMs(300).retryMaxAttempts(2).retryInitialDelayMs(10).build();

  private Vertx vertx;
  private ReferenceMerchant issuer;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(HttpKeyValidator.class);
  private Level level;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    issuer = result(ReferenceMerchant.start(vertx, ReferenceMerchantOptions.builder()
        .sku("demo", 5).secret("shop-secret-0123456789abcdef").issuerSecret(ISSUER_SECRET).build()));
    logs.setContext(logger.getLoggerContext());
    logs.start();
    logger.addAppender(logs);
    level = logger.getLevel();
    logger.setLevel(Level.DEBUG);
  }

  @AfterEach
  void stop() {
    logger.detachAppender(logs);
    logger.setLevel(level);
    result(vertx.close());
  }

  private KeyValidator validator(String secret) {
    return result(AdapterRegistry.load().createValidator("http", AdapterContext.builder()
        .vertx(vertx)
        .merchantId("shop-a")
        .config(new JsonObject().put("base_url", issuer.baseUrl()))
        .secrets(Secrets.of(Map.of("signing_secret", secret)))
        .policy(FAST)
        .outboundRules(LocalRules.LOOPBACK)
        .build()));
  }

  private List<String> warnings() {
    synchronized (logs) {
      return logs.list.stream().filter(event -> event.getLevel() == Level.WARN)
          .map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  @Test
  void anIssuerWhoseSignatureDoesNotVerifyIsLoggedAsABadSignature() {
    KeyVerdict verdict = result(validator(OTHER_SECRET).check("demo", CardKey.of("4111111111111111")));

    assertThat(verdict).isEqualTo(KeyVerdict.UNKNOWN);
    assertThat(warnings()).hasSize(1).first().asString()
        .contains("signature that does not verify").contains("demo").doesNotContain("4111111111111111")
        .doesNotContain(OTHER_SECRET).doesNotContain("in time");
  }

  @Test
  void anIssuerForgingItsAnswersIsLoggedAsABadSignature() {
    issuer.faults(Faults.fromJson(new JsonObject().put("scope", "issuer").put("signature_fault", "forged")
        .put("signature_fault_rate", 1.0)));

    assertThat(result(validator(ISSUER_SECRET).check("demo", CardKey.of("4111111111111111"))))
        .isEqualTo(KeyVerdict.UNKNOWN);
    assertThat(warnings()).hasSize(1).first().asString().contains("signature that does not verify");
  }

  @Test
  void aSlowIssuerIsNoSignatureWarning() {
    issuer.faults(Faults.fromJson(new JsonObject().put("scope", "issuer").put("timeout_rate", 1.0)));

    assertThat(result(validator(ISSUER_SECRET).check("demo", CardKey.of("4111111111111111"))))
        .isEqualTo(KeyVerdict.UNKNOWN);
    assertThat(warnings()).noneMatch(line -> line.contains("signature"));
  }
}
