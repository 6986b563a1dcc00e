package io.keyhold.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyhold.adapters.reference.epay.EpayFaults;
import io.keyhold.simulator.client.FollowMode;
import io.keyhold.simulator.load.ArrivalShape;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class RunCommandTest {
  private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
  private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
  private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

  private SimulationConfig parse(String... args) {
    RunCommand command = new RunCommand(out, err);
    new CommandLine(command).parseArgs(args);
    return command.config();
  }

  @Test
  void flashSaleIsTheDefaultProfileWithTenThousandBuyersForTwoThousandKeysWithinTenSeconds() {
    SimulationConfig config = parse();

    assertThat(config.profile()).isEqualTo(Profile.FLASH_SALE);
    assertThat(config.buyers()).isEqualTo(10_000);
    assertThat(config.stock()).isEqualTo(2_000);
    assertThat(config.arrivalSeconds()).isEqualTo(10);
    assertThat(config.arrival()).isEqualTo(ArrivalShape.SPIKE);
  }

  @Test
  void paymentsAreTheSandboxUnlessEpayIsAskedForWithTheSiteFaultsNamed() {
    assertThat(parse().payments()).isEqualTo(PaymentRail.SANDBOX);
    assertThat(parse().toJson().getJsonObject("payments").getString("rail")).isEqualTo("sandbox");

    SimulationConfig epay = parse("--profile", "steady", "--payments", "epay", "--epay-faults", "reorder, drop");

    assertThat(epay.payments()).isEqualTo(PaymentRail.EPAY);
    assertThat(epay.epayFaults()).isEqualTo(EpayFaults.NONE.withReorderNotices(true).withDropNotices(true));
    assertThat(epay.toJson().getJsonObject("payments").encode())
        .isEqualTo("{\"rail\":\"epay\",\"epay_faults\":[\"reorder\",\"drop\"]}");
    assertThat(parse("--payments", "epay", "--epay-faults", "none").epayFaults()).isEqualTo(EpayFaults.NONE);
  }

  @Test
  void refusesEpayFaultsItDoesNotKnowOrWithoutEpayAndEpayInAnotherCurrencyThanCny() {
    assertThatThrownBy(() -> parse("--payments", "epay", "--epay-faults", "repeat,forge"))
        .hasMessageContaining("'forge'");
    assertThatThrownBy(() -> parse("--epay-faults", "repeat")).hasMessageContaining("payments epay");
    assertThatThrownBy(() -> parse("--payments", "epay", "--currency", "EUR")).hasMessageContaining("CNY only");
    assertThatThrownBy(() -> parse("--payments", "alipay")).hasMessageContaining("sandbox or epay");
  }

  @Test
  void flagsOverrideTheProfileValueByValueAndKeepTheRest() {
    SimulationConfig config = parse("--profile", "bad-keys", "--buyers", "50", "--quantity", "1-3", "--seed", "42",
        "--invalid-key-rate", "0.3", "--arrival", "spike", "--duration", "7", "--max-resupply-attempts", "3",
        "--follow", "poll", "--abandon", "0", "--double-pay-rate", "0.25", "--max-in-flight", "9");
    SimulationConfig profile = SimulationConfig.builder(Profile.BAD_KEYS).build();

    assertThat(config.profile()).isEqualTo(Profile.BAD_KEYS);
    assertThat(config.buyers()).isEqualTo(50);
    assertThat(config.quantityMin()).isEqualTo(1);
    assertThat(config.quantityMax()).isEqualTo(3);
    assertThat(config.seed()).isEqualTo(42);
    assertThat(config.faults().invalidKeyRate()).isEqualTo(0.3);
    assertThat(config.faults().redeemedKeyRate()).isEqualTo(profile.faults().redeemedKeyRate());
    assertThat(config.arrival()).isEqualTo(ArrivalShape.SPIKE);
    assertThat(config.arrivalSeconds()).isEqualTo(7);
    assertThat(config.deadlines().maxResupplyAttempts()).isEqualTo(3);
    assertThat(config.deadlines().resupplyWithinSeconds()).isEqualTo(profile.deadlines().resupplyWithinSeconds());
    assertThat(config.follow()).isEqualTo(FollowMode.POLL);
    assertThat(config.behaviours().abandon()).isZero();
    assertThat(config.behaviours().confirm()).isEqualTo(profile.behaviours().confirm());
    assertThat(config.chaos().doubleRate()).isEqualTo(0.25);
    assertThat(config.maxInFlight()).isEqualTo(9);
    assertThat(config.stock()).isEqualTo(profile.stock());
  }

  @Test
  void everyProfileBuildsAndNamesItself() {
    for (Profile profile : Profile.values()) {
      SimulationConfig config = parse("--profile", profile.code());
      assertThat(config.profile()).isEqualTo(profile);
      assertThat(config.toJson().getString("profile")).isEqualTo(profile.code());
    }
    assertThat(parse("--profile", "merchant-outage").faults().outage()).isTrue();
    SimulationConfig fault = parse("--profile", "fault");
    assertThat(fault.buyers()).isEqualTo(2_000);
    assertThat(fault.stock()).isEqualTo(300);
    assertThat(fault.sweeperLagSeconds()).isEqualTo(30);
    assertThat(parse("--profile", "payment-chaos").chaos().repeatRate()).isPositive();
    assertThat(parse("--profile", "payment-chaos").chaos().noticeChaos()).isTrue();
    assertThat(parse("--profile", "payment-chaos", "--notice-chaos", "false").chaos().noticeChaos()).isFalse();
  }

  @Test
  void anUnknownProfileIsRefusedNamingTheKnownOnes() {
    assertThatThrownBy(() -> parse("--profile", "black-friday"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("black-friday")
        .hasMessageContaining("flash-sale");
  }

  @Test
  void badValuesAreRefusedSayingWhatTheyWere() {
    assertThatThrownBy(() -> parse("--buyers", "-3")).hasMessage("buyers must be between 1 and 1000000, but was -3");
    assertThatThrownBy(() -> parse("--quantity", "3-1")).hasMessageContaining("but was 1");
    assertThatThrownBy(() -> parse("--quantity", "many")).hasMessageContaining("'many'");
    assertThatThrownBy(() -> parse("--invalid-key-rate", "1.5")).hasMessageContaining("but was 1.5");
    assertThatThrownBy(() -> parse("--repeat-pay-rate", "0.6", "--double-pay-rate", "0.6"))
        .hasMessageContaining("at most 1");
    assertThatThrownBy(() -> parse("--stock", "1", "--stock-shops", "2")).hasMessageContaining("one key per shop");
    assertThatThrownBy(() -> parse("--outage-at-seconds", "3")).hasMessageContaining("http shop");
  }

  @Test
  void aBadFlagExitsWithTheUsageCodeAndSaysWhy() {
    int exit = SimulatorMain.commandLine(out, err).execute("run", "--profile", "nope");

    assertThat(exit).isEqualTo(SimulatorMain.EXIT_USAGE);
    assertThat(errBytes.toString(StandardCharsets.UTF_8)).contains("nope");
  }

  @Test
  void theProfilesCommandListsEveryProfile() {
    int exit = SimulatorMain.commandLine(out, err).execute("profiles");

    assertThat(exit).isZero();
    String printed = outBytes.toString(StandardCharsets.UTF_8);
    for (Profile profile : Profile.values()) {
      assertThat(printed).contains(profile.code());
    }
  }
}
