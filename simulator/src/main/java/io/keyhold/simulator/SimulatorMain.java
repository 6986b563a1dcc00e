package io.keyhold.simulator;

import java.io.PrintStream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The command line: {@code java -jar keyhold-simulator.jar run --profile flash-sale [flags]},
 * {@code audit --gateway URL --admin-token T}, {@code profiles}. Exit codes: 0 the rehearsal ran and
 * its audit passed; 1 the audit found a violation; 2 bad usage; 3 the rehearsal could not run.
 */
@Command(name = "keyhold-simulator", mixinStandardHelpOptions = true, version = "Keyhold simulator 0.1.0",
    description = "Rehearses a peak promotion against a Keyhold gateway, then audits the money and the keys.",
    subcommands = {RunCommand.class, AuditCommand.class, ProfilesCommand.class})
public final class SimulatorMain implements Runnable {
  public static final int EXIT_USAGE = 2;

  public static void main(String[] args) {
    if (System.getProperty("logback.configurationFile") == null) {
      // Our own file name, so the gateway's logback.xml (on the class path in embedded mode) is not the one used.
      System.setProperty("logback.configurationFile", "keyhold-simulator-logback.xml");
    }
    int exit = commandLine(System.out, System.err).execute(args);
    System.exit(exit);
  }

  /** The command line with its subcommands, writing to {@code out} and {@code err}. */
  public static CommandLine commandLine(PrintStream out, PrintStream err) {
    CommandLine commandLine = new CommandLine(new SimulatorMain(), new Factory(out, err));
    commandLine.setOut(new java.io.PrintWriter(out, true));
    commandLine.setErr(new java.io.PrintWriter(err, true));
    return commandLine;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "name a command: run, audit or profiles");
  }

  /** Hands the streams to the subcommands, so tests can read what they print. */
  private record Factory(PrintStream out, PrintStream err) implements CommandLine.IFactory {
    @Override
    public <K> K create(Class<K> type) throws Exception {
      if (type == RunCommand.class) {
        return type.cast(new RunCommand(out, err));
      }
      if (type == AuditCommand.class) {
        return type.cast(new AuditCommand(out, err));
      }
      if (type == ProfilesCommand.class) {
        return type.cast(new ProfilesCommand(out));
      }
      return CommandLine.defaultFactory().create(type);
    }
  }
}
