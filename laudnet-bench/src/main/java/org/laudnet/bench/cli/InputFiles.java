package org.laudnet.bench.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.laudnet.core.io.LaudInputException;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Checks of the files and directories a command reads and writes, made before any work starts, so that a wrong path
 * fails at once with one message naming the option and the path. An input that is missing, unreadable or of the wrong
 * kind is refused input ({@link LaudInputException}, {@link ExitCode#INPUT}); an output path that cannot be written is
 * a bad option value ({@link CommandLine.ParameterException}, {@link ExitCode#USAGE}). Stateless and thread-safe.
 */
final class InputFiles {

    private InputFiles() {}

    /**
     * Requires a readable regular file.
     *
     * @param option the option that gave the path (e.g. {@code --model}), or null for a positional parameter
     * @param file the path
     * @return {@code file}
     * @throws LaudInputException if it is missing, a directory or not readable (the message names option and path)
     */
    static Path file(String option, Path file) throws LaudInputException {
        String source = source(option, file);
        if (Files.isDirectory(file)) {
            throw new LaudInputException(source, "is a directory, not a file");
        }
        if (!Files.exists(file)) {
            throw new LaudInputException(source, "no such file");
        }
        if (!Files.isRegularFile(file)) {
            throw new LaudInputException(source, "is not a regular file");
        }
        if (!Files.isReadable(file)) {
            throw new LaudInputException(source, "is not readable (permission denied)");
        }
        return file;
    }

    /**
     * Requires a readable directory.
     *
     * @param option the option that gave the path (e.g. {@code --data})
     * @param dir the path
     * @return {@code dir}
     * @throws LaudInputException if it is missing, a file or not readable (the message names option and path)
     */
    static Path directory(String option, Path dir) throws LaudInputException {
        String source = source(option, dir);
        if (!Files.exists(dir)) {
            throw new LaudInputException(source, "no such directory");
        }
        if (!Files.isDirectory(dir)) {
            throw new LaudInputException(source, "is a file, not a directory");
        }
        if (!Files.isReadable(dir) || !Files.isExecutable(dir)) {
            throw new LaudInputException(source, "is not readable (permission denied)");
        }
        return dir;
    }

    /**
     * Requires a path a file can be written to: not a directory, and an existing file or an existing directory above
     * it must be writable (missing parent directories are created by the writers).
     *
     * @param spec the command, for the parameter error
     * @param option the option that gave the path
     * @param file the path, or null (nothing to check)
     * @throws CommandLine.ParameterException if the path cannot be written (the message names option and path)
     */
    static void outputFile(CommandSpec spec, String option, Path file) {
        if (file == null) {
            return;
        }
        if (Files.isDirectory(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + file
                    + ": is a directory, not a file");
        }
        writable(spec, option, file, Files.exists(file) ? file : existingAncestor(file));
    }

    /**
     * Requires a path a directory can be created in or written to: not a file, and it or its nearest existing parent
     * writable.
     *
     * @param spec the command, for the parameter error
     * @param option the option that gave the path
     * @param dir the path, or null (nothing to check)
     * @throws CommandLine.ParameterException if the path cannot be written (the message names option and path)
     */
    static void outputDirectory(CommandSpec spec, String option, Path dir) {
        if (dir == null) {
            return;
        }
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + dir
                    + ": is a file, not a directory");
        }
        writable(spec, option, dir, Files.exists(dir) ? dir : existingAncestor(dir));
    }

    private static void writable(CommandSpec spec, String option, Path path, Path checked) {
        if (checked != null && !Files.isDirectory(checked) && !checked.equals(path)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + path + ": " + checked
                    + " is a file, not a directory");
        }
        if (checked != null && !Files.isWritable(checked)) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + path + ": "
                    + (checked.equals(path) ? "" : checked + " ") + "is not writable (permission denied)");
        }
    }

    /** The nearest existing directory above {@code p} (the working directory for a relative name), or null. */
    private static Path existingAncestor(Path p) {
        Path parent = p.toAbsolutePath().getParent();
        while (parent != null && !Files.exists(parent)) {
            parent = parent.getParent();
        }
        return parent;
    }

    private static String source(String option, Path path) {
        return option == null ? String.valueOf(path) : option + " " + path;
    }
}
