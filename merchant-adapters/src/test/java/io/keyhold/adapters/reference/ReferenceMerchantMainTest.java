package io.keyhold.adapters.reference;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ReferenceMerchantMainTest {

  private static ReferenceMerchantOptions parse(String... args) {
    ReferenceMerchantMain main = new ReferenceMerchantMain();
    new CommandLine(main).parseArgs(args);
    return main.options();
  }

  @Test
  void defaultsMatchTheReadme() {
    ReferenceMerchantOptions options = parse();

    assertThat(options.port()).isEqualTo(9100);
    assertThat(options.host()).isEqualTo("127.0.0.1");
    assertThat(options.stock()).containsEntry("demo", 1_000);
    assertThat(options.faults()).isEqualTo(Faults.none());
  }

  @Test
  void flagsSetStockSecretsAndFaults() {
    ReferenceMerchantOptions options = parse("--port", "0", "--sku", "gold=5", "--sku", "empty=0",
        "--secret", "first-secret-0123456789", "--secret", "second-secret-0123456789",
        "--latency-ms", "250", "--timeout-rate", "0.1", "--duplicate-key-rate", "0.5",
        "--signature-fault", "stale", "--signature-fault-rate", "1", "--malformed", "oversized", "--fault-scope", "issuer");

    assertThat(options.port()).isZero();
    assertThat(options.stock()).containsExactly(Map.entry("gold", 5), Map.entry("empty", 0));
    assertThat(options.secrets()).containsExactly("first-secret-0123456789", "second-secret-0123456789");
    assertThat(options.faults().latencyMs()).isEqualTo(250);
    assertThat(options.faults().timeoutRate()).isEqualTo(0.1);
    assertThat(options.faults().duplicateKeyRate()).isEqualTo(0.5);
    assertThat(options.faults().signatureFault()).isEqualTo(Faults.SignatureFault.STALE);
    assertThat(options.faults().malformed()).isEqualTo(Faults.Malformation.OVERSIZED);
    assertThat(options.faults().scope()).isEqualTo(Faults.Scope.ISSUER);
  }

  @Test
  void aBadValueExitsWithUsageErrorNamingIt() {
    StringWriter errors = new StringWriter();
    CommandLine commandLine = new CommandLine(new ReferenceMerchantMain()).setErr(new PrintWriter(errors));

    int exitCode = commandLine.execute("--error-rate", "3");

    assertThat(exitCode).isEqualTo(2);
  }
}
