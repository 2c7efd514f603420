package org.wal4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wal4j} command line. */
@Command(name = "wal4j",
        mixinStandardHelpOptions = true,
        versionProvider = Wal4jCommand.Version.class,
        description = "wal4j: a write-ahead log for the JVM on Linux.",
        subcommands = {FsyncTestCommand.class, CommandLine.HelpCommand.class})
public final class Wal4jCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Wal4jCommand());
        // Bad option values are the user's to fix: say which, without a stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("wal4j: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return commandLine;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    static String version() {
        String v = Wal4jCommand.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"wal4j " + version()};
        }
    }
}
