package org.laudnet.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.laudnet.core.util.LaudnetHome;

/**
 * The one gate of every test that needs real assets (pretrained weights, photos, Fashion-MNIST in the LAUDNet home,
 * fetched by {@value #FETCH_COMMAND}). A test names the files it reads, located through
 * {@link LaudnetHome#current()} (for example with {@code AssetCache.defaultCache()}), never through a rule of its own;
 * when one is missing the test fails on a CI machine (the environment variable {@value #CI_ENV} is {@code true}) and
 * is skipped elsewhere, in both cases with a message naming the missing files, the LAUDNet home and the command that
 * fetches them. So a CI job whose assets are in another directory than the tests look in fails instead of passing
 * with the real-asset tests skipped.
 *
 * <p>Stateless and thread-safe.
 */
public final class RealAssets {

    /** The command that fetches every real asset the tests use. */
    public static final String FETCH_COMMAND = "scripts/fetch-assets all";
    /** Environment variable that CI systems set to {@code true}. */
    public static final String CI_ENV = "CI";

    private RealAssets() {}

    /** What a test does about its assets. */
    public enum Action {
        /** Every file is present: run the test. */
        RUN,
        /** A file is missing on a developer machine: skip the test. */
        SKIP,
        /** A file is missing on a CI machine: fail the test. */
        FAIL
    }

    /**
     * The decision for one test.
     *
     * @param action run, skip or fail
     * @param message why (empty for {@link Action#RUN})
     */
    public record Decision(Action action, String message) {}

    /**
     * Requires real asset files: returns when all are regular files, otherwise fails the test on CI and skips it
     * elsewhere ({@link #decide}, {@link #enforce}).
     *
     * @param files the files the test reads, inside the LAUDNet home
     * @throws org.opentest4j.AssertionFailedError if a file is missing and {@value #CI_ENV} is {@code true}
     * @throws org.opentest4j.TestAbortedException if a file is missing otherwise
     * @throws IllegalStateException if the LAUDNet home setting is a relative path
     */
    public static void require(Path... files) {
        List<Path> missing = List.of(files).stream().filter(f -> !Files.isRegularFile(f)).toList();
        enforce(decide(missing, LaudnetHome.current(), System.getenv(CI_ENV)));
    }

    /**
     * Decides what a test does about its assets; a pure function of its arguments.
     *
     * @param missing the required files that are not present
     * @param home the LAUDNet home the files were looked up in (named in the message)
     * @param ci the value of {@value #CI_ENV}, or null when unset; {@code true} (any case) means a CI machine
     * @return {@link Action#RUN} when nothing is missing, else {@link Action#FAIL} on CI and {@link Action#SKIP}
     *     elsewhere, with a message naming the missing files, the home and {@value #FETCH_COMMAND}
     */
    public static Decision decide(List<Path> missing, LaudnetHome home, String ci) {
        if (missing.isEmpty()) {
            return new Decision(Action.RUN, "");
        }
        boolean onCi = ci != null && ci.strip().equalsIgnoreCase("true");
        String message = "real asset" + (missing.size() == 1 ? "" : "s") + " missing: "
                + missing.stream().map(Path::toString).collect(Collectors.joining(", "))
                + " (LAUDNet home " + home + "); fetch with '" + FETCH_COMMAND + "'"
                + (onCi ? " (failing, not skipping: " + CI_ENV + "=" + ci + ")" : "");
        return new Decision(onCi ? Action.FAIL : Action.SKIP, message);
    }

    /**
     * Carries out a decision in the running test.
     *
     * @param decision the decision
     * @throws org.opentest4j.AssertionFailedError for {@link Action#FAIL}
     * @throws org.opentest4j.TestAbortedException for {@link Action#SKIP}
     */
    public static void enforce(Decision decision) {
        switch (decision.action()) {
            case RUN -> { }
            case SKIP -> Assumptions.abort(decision.message());
            case FAIL -> Assertions.fail(decision.message());
            default -> throw new IllegalStateException("unknown action " + decision.action());
        }
    }
}
