package org.laudnet.core.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.testing.RealAssets.Action;
import org.laudnet.core.testing.RealAssets.Decision;
import org.laudnet.core.util.LaudnetHome;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** The real-asset gate: run when present, fail on CI and skip elsewhere when missing, with the same message. */
class RealAssetsTest {

    @TempDir
    Path dir;

    private LaudnetHome home() {
        return new LaudnetHome(dir, LaudnetHome.Source.LAUDNET_HOME_VARIABLE);
    }

    @Test
    void missingFilesFailOnCiAndSkipElsewhereNamingTheFileAndTheFetchCommand() {
        Path weights = dir.resolve("resnet50-imagenet/model.json");
        Decision ci = RealAssets.decide(List.of(weights), home(), "true");
        assertEquals(Action.FAIL, ci.action());
        assertTrue(ci.message().contains(weights.toString()), ci.message());
        assertTrue(ci.message().contains("'scripts/fetch-assets all'"), ci.message());
        assertTrue(ci.message().contains(dir + " (from environment variable LAUDNET_HOME)"), ci.message());
        assertEquals(Action.FAIL, RealAssets.decide(List.of(weights), home(), "TRUE").action());

        for (String notCi : new String[] {null, "", "false", "0"}) {
            Decision local = RealAssets.decide(List.of(weights), home(), notCi);
            assertEquals(Action.SKIP, local.action(), "CI=" + notCi);
            assertTrue(local.message().startsWith("real asset missing: " + weights + " (LAUDNet home "),
                    local.message());
            assertTrue(local.message().endsWith("fetch with 'scripts/fetch-assets all'"), local.message());
        }
    }

    @Test
    void presentFilesRunEvenOnCi() {
        Decision d = RealAssets.decide(List.of(), home(), "true");
        assertEquals(Action.RUN, d.action());
        assertEquals("", d.message());
    }

    @Test
    void everyMissingFileIsNamed() {
        Path a = dir.resolve("photos/eagle.jpg");
        Path b = dir.resolve("photos/dog.jpg");
        Decision d = RealAssets.decide(List.of(a, b), home(), null);
        assertTrue(d.message().startsWith("real assets missing: " + a + ", " + b), d.message());
    }

    @Test
    void enforceFailsSkipsOrReturns() {
        AssertionFailedError fail = assertThrows(AssertionFailedError.class,
                () -> RealAssets.enforce(new Decision(Action.FAIL, "gone: x")));
        assertEquals("gone: x", fail.getMessage());
        TestAbortedException skip = assertThrows(TestAbortedException.class,
                () -> RealAssets.enforce(new Decision(Action.SKIP, "gone: y")));
        assertTrue(skip.getMessage().contains("gone: y"), skip.getMessage());
        RealAssets.enforce(new Decision(Action.RUN, ""));
    }

    @Test
    void requireReturnsWhenTheFilesArePresent() throws IOException {
        Path f = Files.writeString(dir.resolve("present.bin"), "x");
        RealAssets.require(f);
        // a directory is not a file: require refuses it the way decide() says for this machine's CI setting
        Path d = Files.createDirectories(dir.resolve("folder"));
        Action expected = RealAssets.decide(List.of(d), LaudnetHome.current(), System.getenv(RealAssets.CI_ENV))
                .action();
        Class<? extends Throwable> thrown = expected == Action.FAIL ? AssertionFailedError.class
                : TestAbortedException.class;
        Throwable t = assertThrows(thrown, () -> RealAssets.require(d));
        assertTrue(t.getMessage().contains(d.toString()), t.getMessage());
    }
}
