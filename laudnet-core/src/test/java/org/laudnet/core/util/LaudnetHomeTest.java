package org.laudnet.core.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The one rule for the LAUDNet home: property, then LAUDNET_HOME, then $HOME/.laudnet, then user.home/.laudnet. */
class LaudnetHomeTest {

    @TempDir
    Path dir;

    private static UnaryOperator<String> of(Map<String, String> values) {
        return values::get;
    }

    private static final Map<String, String> ALL_PROPERTIES =
            Map.of(LaudnetHome.PROPERTY, "/from/property", LaudnetHome.USER_HOME_PROPERTY, "/home/account");
    private static final Map<String, String> ALL_ENV =
            Map.of(LaudnetHome.ENV, "/from/env", LaudnetHome.HOME_ENV, "/home/shell");

    @Test
    void propertyBeatsEnvironmentVariableBeatsHomeBeatsUserHome() {
        LaudnetHome p = LaudnetHome.from(of(ALL_PROPERTIES), of(ALL_ENV));
        assertEquals(Path.of("/from/property"), p.directory());
        assertEquals(LaudnetHome.Source.SYSTEM_PROPERTY, p.source());

        LaudnetHome e = LaudnetHome.from(of(Map.of(LaudnetHome.USER_HOME_PROPERTY, "/home/account")), of(ALL_ENV));
        assertEquals(Path.of("/from/env"), e.directory());
        assertEquals(LaudnetHome.Source.LAUDNET_HOME_VARIABLE, e.source());

        LaudnetHome h = LaudnetHome.from(of(Map.of(LaudnetHome.USER_HOME_PROPERTY, "/home/account")),
                of(Map.of(LaudnetHome.HOME_ENV, "/home/shell")));
        assertEquals(Path.of("/home/shell/.laudnet"), h.directory());
        assertEquals(LaudnetHome.Source.HOME_VARIABLE, h.source());

        LaudnetHome u = LaudnetHome.from(of(Map.of(LaudnetHome.USER_HOME_PROPERTY, "/home/account")), of(Map.of()));
        assertEquals(Path.of("/home/account/.laudnet"), u.directory());
        assertEquals(LaudnetHome.Source.USER_HOME, u.source());
        assertEquals("/home/account/.laudnet (from system property user.home)", u.toString());
    }

    @Test
    void blankSettingsCountAsUnset() {
        LaudnetHome h = LaudnetHome.from(of(Map.of(LaudnetHome.PROPERTY, " ", LaudnetHome.USER_HOME_PROPERTY, "/u")),
                of(Map.of(LaudnetHome.ENV, "", LaudnetHome.HOME_ENV, "/home/shell")));
        assertEquals(Path.of("/home/shell/.laudnet"), h.directory());
    }

    @Test
    void relativePathsAreRefusedNamingTheSettingAndTheValue() {
        IllegalStateException p = assertThrows(IllegalStateException.class,
                () -> LaudnetHome.from(of(Map.of(LaudnetHome.PROPERTY, "assets")), of(ALL_ENV)));
        assertTrue(p.getMessage().contains("system property laudnet.home") && p.getMessage().contains("'assets'")
                && p.getMessage().contains("relative"), p.getMessage());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LaudnetHome.from(of(Map.of()), of(Map.of(LaudnetHome.ENV, "./cache", "HOME", "/h"))));
        assertTrue(e.getMessage().contains("environment variable LAUDNET_HOME")
                && e.getMessage().contains("'./cache'"), e.getMessage());
        IllegalStateException h = assertThrows(IllegalStateException.class,
                () -> LaudnetHome.from(of(Map.of(LaudnetHome.USER_HOME_PROPERTY, "/u")), of(Map.of("HOME", "me"))));
        assertTrue(h.getMessage().contains("environment variable HOME") && h.getMessage().contains("'me'"),
                h.getMessage());
        IllegalArgumentException direct = assertThrows(IllegalArgumentException.class,
                () -> new LaudnetHome(Path.of("rel"), LaudnetHome.Source.SYSTEM_PROPERTY));
        assertTrue(direct.getMessage().contains("'rel'"), direct.getMessage());
    }

    @Test
    void noSettingAtAllIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LaudnetHome.from(of(Map.of()), of(Map.of())));
        assertTrue(e.getMessage().contains("LAUDNET_HOME") && e.getMessage().contains("user.home"), e.getMessage());
    }

    @Test
    void currentFollowsTheRuleOnThisProcess() {
        // whatever this JVM was started with, current() is the rule applied to its own properties and environment
        assertEquals(LaudnetHome.from(System::getProperty, System::getenv), LaudnetHome.current());
        assertEquals(LaudnetHome.current().directory().resolve("cpu-profile.json"),
                LaudnetHome.current().file("cpu-profile.json"));
    }

    @Test
    void filesStayInsideTheHome() {
        LaudnetHome h = new LaudnetHome(dir, LaudnetHome.Source.SYSTEM_PROPERTY);
        assertEquals(dir.resolve("photos/eagle.jpg"), h.file("photos/eagle.jpg"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> h.file("/etc/passwd"));
        assertTrue(e.getMessage().contains("/etc/passwd"), e.getMessage());
    }

    @Test
    void requireWritableCreatesTheDirectoryOrNamesWhyItCannot() throws IOException {
        Path fresh = dir.resolve("a/b/.laudnet");
        LaudnetHome ok = new LaudnetHome(fresh, LaudnetHome.Source.LAUDNET_HOME_VARIABLE);
        assertEquals(fresh, ok.requireWritable());
        assertTrue(Files.isDirectory(fresh));

        Path file = Files.writeString(dir.resolve("not-a-directory"), "x");
        LaudnetHome bad = new LaudnetHome(file.resolve(".laudnet"), LaudnetHome.Source.HOME_VARIABLE);
        IOException e = assertThrows(IOException.class, bad::requireWritable);
        assertTrue(e.getMessage().contains(file.resolve(".laudnet").toString())
                && e.getMessage().contains("environment variable HOME") && e.getMessage().contains("LAUDNET_HOME"),
                e.getMessage());
    }
}
