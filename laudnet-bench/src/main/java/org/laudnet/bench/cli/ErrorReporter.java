package org.laudnet.bench.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.laudnet.core.io.LaudInputException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * How the {@code laudnet} command line reports a failure, for every subcommand at once: one line on standard error
 * naming the command and the problem (the option, value, file or subcommand at fault), and the {@link ExitCode} of the
 * failure. With {@code --verbose} anywhere on the command line, the stack trace follows the line. Installed on the root
 * {@link CommandLine} by {@link LaudnetCli#commandLine()} as picocli's parameter and execution exception handler;
 * commands just throw (picocli's {@link CommandLine.ParameterException} for bad options, the library's exceptions
 * otherwise). Stateless and thread-safe.
 */
final class ErrorReporter implements CommandLine.IParameterExceptionHandler, CommandLine.IExecutionExceptionHandler {

    /** The option that adds stack traces to error reports; every command accepts it. */
    static final String VERBOSE = "--verbose";

    /** Reports a usage error: unknown subcommand or option, missing or unconvertible value, a failed option check. */
    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        report(cmd.getErr(), name + ": " + describe(ex) + " (see " + name + " --help)", ex,
                args != null && Arrays.asList(args).contains(VERBOSE));
        return ExitCode.USAGE.code();
    }

    /** Reports an exception a command threw while running, with the exit code of its kind. */
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parseResult) {
        ExitCode code = ExitCode.of(ex);
        boolean verbose = parseResult != null && parseResult.originalArgs().contains(VERBOSE);
        String line = cmd.getCommandSpec().qualifiedName() + ": " + message(ex, code);
        if (code == ExitCode.FAILURE && !verbose) {
            line += " (" + VERBOSE + " prints the stack trace)";
        }
        System.out.flush();
        report(cmd.getErr(), line, ex, verbose);
        return code.code();
    }

    private static void report(PrintWriter err, String line, Throwable ex, boolean verbose) {
        err.println(line);
        if (verbose) {
            ex.printStackTrace(err);
        }
        err.flush();
    }

    /**
     * Describes a parameter error in words: picocli's unmatched arguments become an unknown subcommand, an unknown
     * option or an unexpected argument, with picocli's suggestions.
     *
     * @param ex the error
     * @return one line
     */
    static String describe(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            CommandLine cmd = u.getCommandLine();
            String what;
            if (first.startsWith("-") && !first.matches("-\\d.*")) {
                what = "unknown option '" + first + "'";
            } else if (!cmd.getSubcommands().isEmpty() && cmd.getCommandSpec().positionalParameters().isEmpty()) {
                what = "unknown subcommand '" + first + "'";
            } else {
                what = "unexpected argument '" + first + "'";
            }
            List<String> suggestions = u.getSuggestions();
            if (!suggestions.isEmpty()) {
                what += "; did you mean '" + String.join("' or '", suggestions.subList(0,
                        Math.min(2, suggestions.size()))) + "'?";
            }
            return what;
        }
        return oneLine(ex.getMessage(), ex);
    }

    /**
     * The message of a failure in one line: the refused input's own message where the library refused input,
     * otherwise the first message in the cause chain that is not just a wrapper's repetition of its cause.
     *
     * @param ex the failure
     * @param code its exit code
     * @return one line
     */
    static String message(Throwable ex, ExitCode code) {
        for (Throwable t = ex; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof LaudInputException) {
                return oneLine(t.getMessage(), t);
            }
        }
        Throwable t = ex;
        while (t.getCause() != null && t.getCause() != t
                && (t.getMessage() == null || t.getMessage().equals(t.getCause().toString())
                        || t.getMessage().equals(t.getCause().getMessage()))) {
            t = t.getCause();
        }
        if (t instanceof FileSystemException f) {
            String reason = f.getReason() != null ? f.getReason()
                    : f instanceof NoSuchFileException ? "no such file"
                    : f instanceof AccessDeniedException ? "permission denied" : f.getClass().getSimpleName();
            return oneLine(f.getFile() + (f.getOtherFile() != null ? " -> " + f.getOtherFile() : "") + ": " + reason,
                    f);
        }
        if (t.getMessage() == null || t.getMessage().isBlank()) {
            return t.getClass().getSimpleName();
        }
        String m = oneLine(t.getMessage(), t);
        boolean plain = t instanceof IllegalArgumentException || t instanceof IllegalStateException
                || t instanceof IOException || t instanceof EnvironmentException;
        return code == ExitCode.FAILURE && !plain ? t.getClass().getSimpleName() + ": " + m : m;
    }

    private static String oneLine(String message, Throwable t) {
        if (message == null || message.isBlank()) {
            return t.getClass().getSimpleName();
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /**
     * Adds {@value #VERBOSE} to every command of the tree that does not define it itself, so that it is accepted (and
     * listed in the help) after any subcommand.
     *
     * @param root the root command line
     */
    static void addVerboseOption(CommandLine root) {
        Set<CommandLine> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        addVerboseOption(root, seen);
    }

    private static void addVerboseOption(CommandLine cmd, Set<CommandLine> seen) {
        if (!seen.add(cmd)) {
            return;
        }
        CommandSpec spec = cmd.getCommandSpec();
        if (spec.findOption(VERBOSE) == null) {
            spec.addOption(OptionSpec.builder(VERBOSE).arity("0").type(boolean.class)
                    .description("On an error, print the stack trace after the one-line message.").build());
        }
        for (CommandLine sub : cmd.getSubcommands().values()) {
            addVerboseOption(sub, seen);
        }
    }
}
