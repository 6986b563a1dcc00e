package io.keyhold.gateway.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.keyhold.gateway.api.Purchases;
import io.keyhold.gateway.testing.TestGateway;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The evidence recipe of {@code docs/evidence.md}, followed by someone who has none of Keyhold's code:
 * {@code docs/evidence/verify-bundle.mjs} (Node and its built-in crypto, no package) checks a real bundle
 * that a real gateway served, and refuses it once one character changed. Nothing of the gateway's own
 * verification takes part: this test only fetches over HTTP, writes files and runs the script.
 *
 * <p>Without {@code node} on the PATH the tests are skipped and say so; under {@code CI=true} its absence
 * fails them, since CI must run the independent check.
 */
class EvidenceRecipeTest {
  static final String SCRIPT = "docs/evidence/verify-bundle.mjs";
  /** Node starts in well under a second; this only stops a hung process from hanging the build. */
  static final Duration SCRIPT_TIMEOUT = Duration.ofSeconds(60);
  /** A dispute text that makes canonical JSON escape and UTF-8 encode: quotes, a backslash, CJK, an emoji. */
  static final String DISPUTE_TEXT = "第二张卡密 \"无效\" — back\\slash, emoji \ud83d\ude00, slash /";
  static final String NO_NODE = "node is not on the PATH: skipping the independent evidence check " + SCRIPT
      + " (install Node.js 16 or later to run it)";

  static Path node;
  static Path script;
  static Path work;
  static TestGateway gw;
  static Purchases.Purchase purchase;
  static JsonObject signed;
  static Path bundleFile;
  static Path keyFile;

  @BeforeAll
  static void start() throws Exception {
    node = node().orElse(null);
    if (node == null) {
      return;
    }
    script = findScript();
    gw = TestGateway.start();
    Purchases purchases = new Purchases(gw);
    Purchases.Shop shop = purchases.stockShop(4, null);
    // Revealed, disputed and split by the arbiter: payments, deliveries, checks, a dispute, a release and a
    // refund all end up in the bundle, so every part of the recipe is exercised.
    purchase = purchases.readyOrder(shop, 2);
    assertThat(purchases.act(purchase, "reveal").status()).isEqualTo(200);
    TestGateway.Response opened = gw.post(purchase.path("/disputes"), purchase.token(),
        new JsonObject().put("reason", "key_invalid").put("text", DISPUTE_TEXT).encode());
    assertThat(opened.status()).as("%s", opened).isEqualTo(200);
    TestGateway.Response decided = gw.post("/admin/v1/disputes/" + Disputes.disputeId(purchase.orderId())
            + "/decision", gw.adminToken(),
        "{\"award\":\"split\",\"units\":[{\"index\":0,\"award\":\"release\"},{\"index\":1,\"award\":\"refund\"}]}");
    assertThat(decided.status()).as("%s", decided).isEqualTo(200);
    purchases.await(purchase, view -> "sent".equals(view.getString("refund_status")), "the refund sent");

    TestGateway.Response evidence = gw.get(purchase.path("/evidence"), purchase.token());
    assertThat(evidence.status()).isEqualTo(200);
    TestGateway.Response key = gw.get("/v1/evidence-key", null);
    assertThat(key.status()).isEqualTo(200);
    signed = evidence.json();

    work = Files.createDirectories(Path.of("target", "evidence-recipe").toAbsolutePath());
    bundleFile = Files.writeString(work.resolve(purchase.orderId() + "-bundle.json"), evidence.body());
    keyFile = Files.writeString(work.resolve("evidence-key.json"), key.body());
  }

  @AfterAll
  static void stop() throws Exception {
    if (gw != null) {
      gw.close();
    }
  }

  /** Skipped per test rather than per class, so the report lists each test with the reason. */
  @BeforeEach
  void requireNode() {
    assumeTrue(node != null, NO_NODE);
  }

  @Test
  void aRealBundleVerifiesWithTheIndependentScript() throws Exception {
    JsonObject bundle = signed.getJsonObject("bundle");
    assertThat(bundle.getJsonObject("order").getString("state")).isEqualTo("partially_refunded");
    assertThat(bundle.getJsonObject("dispute").getString("text")).isEqualTo(DISPUTE_TEXT);
    assertThat(bundle.getJsonArray("refunds")).isNotEmpty();

    Run run = verify(bundleFile);

    assertThat(run.exit()).as(run.output()).isZero();
    assertThat(run.output()).contains("verified: evidence of order " + purchase.orderId())
        .contains(bundle.getJsonArray("events").size() + " events")
        .contains("signature by " + signed.getString("key_id") + " valid");
  }

  @Test
  void oneCharacterChangedInAnEventsDetailsIsFoundByItsHashAndBreaksTheSignature() throws Exception {
    JsonObject altered = signed.copy();
    JsonArray events = altered.getJsonObject("bundle").getJsonArray("events");
    int index = indexOf(events, "unit.checked");
    JsonObject details = events.getJsonObject(index).getJsonObject("details");
    String verdict = details.getString("verdict");
    details.put("verdict", "w" + verdict.substring(1));

    Run run = verify(write("altered-event", altered));

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("NOT VERIFIED")
        .contains("event " + (index + 1) + " (unit.checked) was altered")
        .contains("the signature does not verify");
  }

  @Test
  void aChangeOutsideTheChainIsFoundByTheSignatureAlone() throws Exception {
    JsonObject altered = signed.copy();
    JsonObject amount = altered.getJsonObject("bundle").getJsonArray("payments").getJsonObject(0)
        .getJsonObject("amount");
    amount.put("amount", amount.getLong("amount") - 1);

    Run run = verify(write("altered-payment", altered));

    assertThat(run.exit()).as(run.output()).isEqualTo(1);
    assertThat(run.output()).contains("the signature does not verify").doesNotContain("was altered");
  }

  private record Run(int exit, String output) {}

  private static Run verify(Path bundle) throws Exception {
    Path output = Files.createTempFile(work, "verify-", ".txt");
    Process process = new ProcessBuilder(node.toString(), script.toString(), bundle.toString(), keyFile.toString())
        .redirectErrorStream(true)
        .redirectOutput(output.toFile())
        .start();
    if (!process.waitFor(SCRIPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      fail("%s did not finish within %s", SCRIPT, SCRIPT_TIMEOUT);
    }
    return new Run(process.exitValue(), Files.readString(output, StandardCharsets.UTF_8));
  }

  private static Path write(String name, JsonObject answer) throws Exception {
    return Files.writeString(work.resolve(purchase.orderId() + "-" + name + ".json"), answer.encodePrettily());
  }

  private static int indexOf(JsonArray events, String type) {
    for (int i = 0; i < events.size(); i++) {
      if (type.equals(events.getJsonObject(i).getString("type"))) {
        return i;
      }
    }
    throw new AssertionError("the bundle holds no " + type + " event");
  }

  /** {@code node} from the PATH, or empty; absent under CI, where the check must run, it fails. */
  private static Optional<Path> node() {
    Optional<Path> found = Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
        .filter(dir -> !dir.isEmpty())
        .map(dir -> Path.of(dir, "node"))
        .filter(Files::isExecutable)
        .findFirst();
    if (found.isEmpty() && "true".equals(System.getenv("CI"))) {
      fail("node is not on the PATH, but CI=true: CI must run the independent evidence check " + SCRIPT
          + " (install Node.js 16 or later)");
    }
    return found;
  }

  /** The script, found from the module's folder upwards (Maven runs tests in {@code gateway/}). */
  private static Path findScript() {
    for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
      Path candidate = dir.resolve(SCRIPT);
      if (Files.isRegularFile(candidate)) {
        return candidate;
      }
    }
    throw new AssertionError(SCRIPT + " was not found above " + Path.of("").toAbsolutePath());
  }
}
