package org.laudnet.bench.cli;

import ai.djl.engine.EngineException;
import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.laudnet.core.io.LaudInputException;
import org.laudnet.cuda.CudaDriverException;
import picocli.CommandLine;

/**
 * The exit codes of the {@code laudnet} command line, and which failure gets which. Listed in the root command's help
 * and in the README's "Exit codes" section. Immutable and thread-safe.
 */
public enum ExitCode {
    /** The command did what was asked. */
    OK(0, "ok"),
    /** The command failed while running (an unexpected error, a file it could not write). */
    FAILURE(1, "failure while running"),
    /** Usage error: an unknown subcommand or option, a missing or bad option value, options that exclude each other. */
    USAGE(2, "usage error: unknown subcommand or option, missing or bad option value"),
    /**
     * Bad input: an input file or directory that is missing, unreadable or of the wrong kind, or data the library
     * refuses ({@link LaudInputException}: images, model, weight, checkpoint, IDX and profile files).
     */
    INPUT(3, "bad input: missing, unreadable or refused input file or data"),
    /**
     * Environment: something this machine lacks, such as the fetched assets, the CPU latency profile, a usable GPU or
     * the engine's native library.
     */
    ENVIRONMENT(4, "environment: missing assets (scripts/fetch-assets), CPU profile (laudnet calibrate), GPU or native"
            + " library");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /**
     * Returns the process exit status.
     *
     * @return the status, 0 to 4
     */
    public int code() {
        return code;
    }

    /**
     * Returns what the code means, as listed in the help.
     *
     * @return a short description
     */
    public String meaning() {
        return meaning;
    }

    /**
     * Returns the code for an exception a command threw: the first exception in the cause chain that names a
     * category decides (a parameter error is {@link #USAGE}, refused input {@link #INPUT}, a missing prerequisite
     * {@link #ENVIRONMENT}); anything else is a {@link #FAILURE}.
     *
     * @param failure the exception
     * @return its exit code
     */
    public static ExitCode of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof CommandLine.ParameterException) {
                return USAGE;
            }
            if (t instanceof LaudInputException || t instanceof NoSuchFileException
                    || t instanceof AccessDeniedException || t instanceof NotDirectoryException
                    || t instanceof FileNotFoundException) {
                return INPUT;
            }
            if (t instanceof EnvironmentException || t instanceof CudaDriverException || t instanceof EngineException
                    || t instanceof UnsatisfiedLinkError) {
                return ENVIRONMENT;
            }
        }
        return FAILURE;
    }

    /**
     * Returns the codes and their meanings for picocli's exit code list, in order.
     *
     * @return code (as text) to meaning
     */
    static Map<String, String> helpList() {
        Map<String, String> list = new LinkedHashMap<>();
        for (ExitCode c : values()) {
            list.put(Integer.toString(c.code), c.meaning);
        }
        return list;
    }
}
