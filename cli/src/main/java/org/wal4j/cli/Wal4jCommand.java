package org.wal4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code wal4j} command line. */
@Command(name = "wal4j",
        mixinStandardHelpOptions = true,
        versionProvider = Wal4jCommand.Version.class,
        description = "wal4j: a write-ahead log for the JVM on Linux.",
        subcommands = {FsyncTestCommand.class, StatCommand.class, VerifyCommand.class, DumpCommand.class,
                CommandLine.HelpCommand.class})
public final class Wal4jCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    static CommandLine commandLine() {
        CommandLine commandLine = new CommandLine(new Wal4jCommand());
        // Bad option values are the user's to fix: say which, without a stack trace.
        // Bad input (a path that is no log, a damaged one, a file that cannot be read) too:
        // one line, exit code 2, never a stack trace.
        commandLine.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException || e instanceof LogTarget.BadInput) {
                cmd.getErr().println("wal4j: " + e.getMessage());
                return 2;
            }
            if (e instanceof java.io.IOException) {
                cmd.getErr().println("wal4j: " + describe((java.io.IOException) e));
                return 2;
            }
            throw e;
        });
        return commandLine;
    }

    /** An I/O failure in words: the JDK's file exceptions carry only the path as their message. */
    static String describe(java.io.IOException e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return "no such file or directory: " + n.getFile() + (n.getReason() != null ? " (" + n.getReason() + ")" : "");
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return "permission denied: " + a.getFile();
        }
        if (e instanceof java.nio.file.FileSystemException f) {
            return f.getFile() + ": " + (f.getReason() != null ? f.getReason() : e.getClass().getSimpleName());
        }
        return e.getMessage() != null ? e.getMessage() : e.toString();
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
