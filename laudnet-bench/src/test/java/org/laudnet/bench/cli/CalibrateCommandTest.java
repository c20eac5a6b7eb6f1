package org.laudnet.bench.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.laudnet.core.util.LaudnetHome;
import picocli.CommandLine;

/** {@code laudnet calibrate} refuses an unusable LAUDNet home before it measures anything. */
class CalibrateCommandTest {

    @TempDir
    Path dir;

    @Test
    void anUnwritableHomeIsNamedBeforeTheMeasurement() throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        Path home = file.resolve("home");
        String old = System.getProperty(LaudnetHome.PROPERTY);
        PrintStream savedOut = System.out;
        PrintStream savedErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code;
        try {
            System.setProperty(LaudnetHome.PROPERTY, home.toString());
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            code = new CommandLine(new CalibrateCommand()).execute("--quick");
        } finally {
            System.setOut(savedOut);
            System.setErr(savedErr);
            if (old == null) {
                System.clearProperty(LaudnetHome.PROPERTY);
            } else {
                System.setProperty(LaudnetHome.PROPERTY, old);
            }
        }
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, message);
        assertTrue(message.startsWith("laudnet calibrate: cannot create the LAUDNet home " + home
                + " (from system property laudnet.home)"), message);
        assertEquals("", out.toString(StandardCharsets.UTF_8), "nothing was measured");
    }
}
