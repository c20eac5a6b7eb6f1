package org.laudnet.bench.cli;

import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Checks of option values that picocli's types do not express, made before a command starts its work. Each failure is
 * a {@link CommandLine.ParameterException} naming the option and the value, which the command line reports in one
 * line with {@link ExitCode#USAGE}. Stateless and thread-safe.
 */
final class OptionChecks {

    private OptionChecks() {}

    /**
     * Returns a parameter error of the command.
     *
     * @param spec the command
     * @param message the problem, naming the option and its value
     * @return the exception, to throw
     */
    static CommandLine.ParameterException bad(CommandSpec spec, String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /**
     * Requires {@code value > 0}.
     *
     * @param spec the command
     * @param option the option's name
     * @param value its value
     * @return {@code value}
     * @throws CommandLine.ParameterException if not positive
     */
    static int positive(CommandSpec spec, String option, int value) {
        if (value <= 0) {
            throw bad(spec, option + " must be positive, got " + value);
        }
        return value;
    }

    /**
     * Requires {@code value >= 0}.
     *
     * @param spec the command
     * @param option the option's name
     * @param value its value
     * @return {@code value}
     * @throws CommandLine.ParameterException if negative
     */
    static int nonNegative(CommandSpec spec, String option, int value) {
        if (value < 0) {
            throw bad(spec, option + " must be non-negative, got " + value);
        }
        return value;
    }

    /**
     * Requires a fraction in {@code (0, 1]} (a target ratio, a density).
     *
     * @param spec the command
     * @param option the option's name
     * @param value its value
     * @return {@code value}
     * @throws CommandLine.ParameterException if outside {@code (0, 1]} or NaN
     */
    static double fraction(CommandSpec spec, String option, double value) {
        if (!(value > 0 && value <= 1)) {
            throw bad(spec, option + " must be in (0, 1], got " + value);
        }
        return value;
    }

    /**
     * Requires a finite number.
     *
     * @param spec the command
     * @param option the option's name
     * @param value its value
     * @return {@code value}
     * @throws CommandLine.ParameterException if NaN or infinite
     */
    static double finite(CommandSpec spec, String option, double value) {
        if (!Double.isFinite(value)) {
            throw bad(spec, option + " must be a finite number, got " + value);
        }
        return value;
    }
}
