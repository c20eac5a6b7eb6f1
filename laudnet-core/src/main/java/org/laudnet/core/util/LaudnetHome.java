package org.laudnet.core.util;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

/**
 * The LAUDNet home: the one directory, outside the source tree, where LAUDNet keeps the files it fetches or measures
 * (pretrained weights, photos and Fashion-MNIST from {@code scripts/fetch-assets}, the CPU latency profile). Every
 * component finds it by the same rule, first match wins:
 * <ol>
 *   <li>the system property {@value #PROPERTY}, if set and not blank;
 *   <li>else the environment variable {@value #ENV}, if set and not blank;
 *   <li>else {@code $HOME/.laudnet}, from the environment variable {@value #HOME_ENV}, if set and not blank;
 *   <li>else {@code .laudnet} in the JVM's {@value #USER_HOME_PROPERTY} (the account's home directory).
 * </ol>
 * The environment variable {@code HOME} comes before {@code user.home} because the shell scripts can only see
 * {@code HOME}: where the two differ (a service account, a container or a CI job that sets {@code HOME}), the JVM and
 * {@code scripts/fetch-assets} still agree. {@code scripts/laudnet}, {@code scripts/fetch-assets} and
 * {@code scripts/test} apply the same rule ({@code scripts/lib/laudnet-home.sh}); the launcher passes the result to
 * the JVM as {@code -Dlaudnet.home}, and the Maven build passes {@code $LAUDNET_HOME} to test JVMs as that property.
 *
 * <p>The chosen value must be an absolute path: a relative one would name a different directory for every working
 * directory (a test JVM runs in its module's directory, the scripts in the caller's), so {@link #from} refuses it
 * with a message naming the variable and its value. {@link #requireWritable()} checks, before anything is written,
 * that the directory can be created and written.
 *
 * <p>Immutable and thread-safe. {@link #current()} reads the system properties and the environment on every call.
 *
 * @param directory the absolute home directory
 * @param source the setting it was taken from
 */
public record LaudnetHome(Path directory, Source source) {

    /** System property that sets the home directory; it beats every other setting. */
    public static final String PROPERTY = "laudnet.home";
    /** Environment variable that sets the home directory when {@value #PROPERTY} is not set. */
    public static final String ENV = "LAUDNET_HOME";
    /** Environment variable of the user's home directory, the parent of the default location. */
    public static final String HOME_ENV = "HOME";
    /** System property of the account's home directory, the last resort when {@value #HOME_ENV} is unset. */
    public static final String USER_HOME_PROPERTY = "user.home";
    /** Name of the default home directory inside the user's home directory. */
    public static final String DIR_NAME = ".laudnet";
    /** The rule in one line, for help texts. */
    public static final String RULE = "-D" + PROPERTY + ", else $" + ENV + ", else $" + HOME_ENV + "/" + DIR_NAME;

    /** The setting the home directory was taken from. */
    public enum Source {
        /** The system property {@value LaudnetHome#PROPERTY}. */
        SYSTEM_PROPERTY("system property " + PROPERTY),
        /** The environment variable {@value LaudnetHome#ENV}. */
        LAUDNET_HOME_VARIABLE("environment variable " + ENV),
        /** {@code .laudnet} in the environment variable {@value LaudnetHome#HOME_ENV}. */
        HOME_VARIABLE("environment variable " + HOME_ENV),
        /** {@code .laudnet} in the system property {@value LaudnetHome#USER_HOME_PROPERTY}. */
        USER_HOME("system property " + USER_HOME_PROPERTY);

        private final String description;

        Source(String description) {
            this.description = description;
        }

        /**
         * Names the setting, for messages.
         *
         * @return e.g. {@code "environment variable LAUDNET_HOME"}
         */
        public String description() {
            return description;
        }
    }

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException if a field is null or the directory is relative
     */
    public LaudnetHome {
        if (directory == null || source == null) {
            throw new IllegalArgumentException("directory and source must not be null, got " + directory + ", "
                    + source);
        }
        if (!directory.isAbsolute()) {
            throw new IllegalArgumentException("directory must be absolute, got '" + directory + "' from "
                    + source.description());
        }
    }

    /**
     * The home directory of this process: {@link #from} applied to {@link System#getProperty(String)} and
     * {@link System#getenv(String)}.
     *
     * @return the home directory and where it came from
     * @throws IllegalStateException if the setting that applies is a relative or malformed path (the message names
     *     the setting and its value)
     */
    public static LaudnetHome current() {
        return from(System::getProperty, System::getenv);
    }

    /**
     * Applies the rule to the given system properties and environment (the type javadoc lists the order).
     *
     * @param properties system property lookup: name to value, null when unset
     * @param environment environment variable lookup: name to value, null when unset
     * @return the home directory and where it came from
     * @throws IllegalStateException if the setting that applies is a relative or malformed path, or if neither
     *     {@value #HOME_ENV} nor {@value #USER_HOME_PROPERTY} is set (the message names the setting and its value)
     */
    public static LaudnetHome from(UnaryOperator<String> properties, UnaryOperator<String> environment) {
        String property = properties.apply(PROPERTY);
        if (isSet(property)) {
            return new LaudnetHome(absolute(property, Source.SYSTEM_PROPERTY), Source.SYSTEM_PROPERTY);
        }
        String env = environment.apply(ENV);
        if (isSet(env)) {
            return new LaudnetHome(absolute(env, Source.LAUDNET_HOME_VARIABLE), Source.LAUDNET_HOME_VARIABLE);
        }
        String home = environment.apply(HOME_ENV);
        if (isSet(home)) {
            return new LaudnetHome(absolute(home, Source.HOME_VARIABLE).resolve(DIR_NAME), Source.HOME_VARIABLE);
        }
        String userHome = properties.apply(USER_HOME_PROPERTY);
        if (isSet(userHome)) {
            return new LaudnetHome(absolute(userHome, Source.USER_HOME).resolve(DIR_NAME), Source.USER_HOME);
        }
        throw new IllegalStateException("no LAUDNet home: none of the system property " + PROPERTY
                + ", the environment variables " + ENV + " and " + HOME_ENV + " and the system property "
                + USER_HOME_PROPERTY + " is set; set " + ENV + " to an absolute directory");
    }

    /**
     * A file or directory inside the home directory.
     *
     * @param relative a relative path, e.g. {@code "cpu-profile.json"}
     * @return {@code directory/relative}
     * @throws IllegalArgumentException if {@code relative} is absolute
     */
    public Path file(String relative) {
        Path p = Path.of(relative);
        if (p.isAbsolute()) {
            throw new IllegalArgumentException("relative must be a path inside the home directory, got '"
                    + relative + "'");
        }
        return directory.resolve(p);
    }

    /**
     * Creates the directory if needed and checks that this process can write to it; call it before writing there.
     *
     * @return {@link #directory()}
     * @throws IOException if the directory cannot be created or is not writable (the message names the directory
     *     and the setting it came from)
     */
    public Path requireWritable() throws IOException {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new IOException("cannot create the LAUDNet home " + directory + " (from " + source.description()
                    + "): " + e + "; set " + ENV + " (or -D" + PROPERTY + ") to a writable absolute directory", e);
        }
        if (!Files.isWritable(directory)) {
            throw new IOException("the LAUDNet home " + directory + " (from " + source.description()
                    + ") is not writable by this process; set " + ENV + " (or -D" + PROPERTY
                    + ") to a writable absolute directory");
        }
        return directory;
    }

    /**
     * Describes the home for messages.
     *
     * @return e.g. {@code "/home/me/.laudnet (from environment variable HOME)"}
     */
    @Override
    public String toString() {
        return directory + " (from " + source.description() + ")";
    }

    private static boolean isSet(String value) {
        return value != null && !value.isBlank();
    }

    private static Path absolute(String value, Source source) {
        Path p;
        try {
            p = Path.of(value);
        } catch (InvalidPathException e) {
            throw new IllegalStateException("the " + source.description() + " is not a valid path: '" + value
                    + "' (" + e.getReason() + ")", e);
        }
        if (!p.isAbsolute()) {
            throw new IllegalStateException("the " + source.description() + " is a relative path, '" + value
                    + "'; the LAUDNet home must be an absolute directory (a relative one would depend on the"
                    + " working directory)");
        }
        return p;
    }
}
