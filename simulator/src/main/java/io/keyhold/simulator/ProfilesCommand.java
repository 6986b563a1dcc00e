package io.keyhold.simulator;

import java.io.PrintStream;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code profiles}: lists the profiles and their settings. */
@Command(name = "profiles", mixinStandardHelpOptions = true, description = "Lists the profiles and their settings.")
final class ProfilesCommand implements Callable<Integer> {
  private final PrintStream out;

  ProfilesCommand(PrintStream out) {
    this.out = out;
  }

  @Override
  public Integer call() {
    for (Profile profile : Profile.values()) {
      out.printf("%-16s %s%n    %s%n", profile.code(), profile.summary(),
          SimulationConfig.builder(profile).build().toJson().encode());
    }
    return 0;
  }
}
