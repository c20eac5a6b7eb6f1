package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuLatencyProfileTest {

    @Test
    void jsonRoundTripKeepsEveryTermAndTheMachine(@TempDir Path dir) throws Exception {
        CpuLatencyProfile p = CpuLatencyModelTest.handProfile();
        Path f = dir.resolve("sub/profile.json");
        p.write(f);
        CpuLatencyProfile back = CpuLatencyProfile.read(f);
        assertEquals(p.machine(), back.machine());
        for (CpuTerm t : CpuTerm.values()) {
            assertEquals(p.term(t), back.term(t), t.name());
        }
        assertEquals(0.5, back.term(CpuTerm.SPATIAL_WINDOWS).coefficient("patterns"), 0);
        assertTrue(Files.readString(f).contains("\"formatVersion\": 4"));
    }

    @Test
    void unknownVersionMissingFileAndBadJsonAreClearErrors(@TempDir Path dir) throws Exception {
        String json = CpuLatencyModelTest.handProfile().toJson().replace("\"formatVersion\": 4",
                "\"formatVersion\": 7");
        ProfileFormatException e = assertThrows(ProfileFormatException.class,
                () -> CpuLatencyProfile.fromJson(json, "p.json"));
        assertTrue(e.getMessage().contains("p.json") && e.getMessage().contains("formatVersion 7"), e.getMessage());
        // a profile of format 3 (before the CHANNEL_UNION term) is refused with the version, not misread
        ProfileFormatException old = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                CpuLatencyModelTest.handProfile().toJson().replace("\"formatVersion\": 4", "\"formatVersion\": 3"),
                "old.json"));
        assertTrue(old.getMessage().contains("old.json") && old.getMessage().contains("formatVersion 3"),
                old.getMessage());
        assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson("{\"terms\": {}}", "x"));
        assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson("[1, 2", "x"));
        assertThrows(NoSuchFileException.class, () -> CpuLatencyProfile.read(dir.resolve("none.json")));
    }

    @Test
    void constructorRejectsMissingTermsAndWrongFeatures() {
        CpuLatencyProfile p = CpuLatencyModelTest.handProfile();
        Map<CpuTerm, LinearTerm> terms = new EnumMap<>(p.terms());
        terms.remove(CpuTerm.SKIP);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, p.machine(), terms));
        assertTrue(e.getMessage().contains("SKIP"), e.getMessage());
        terms.put(CpuTerm.SKIP, LinearTerm.of(List.of("macs"), 1, 1));
        assertThrows(IllegalArgumentException.class,
                () -> new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, p.machine(), terms));
        assertThrows(IllegalArgumentException.class, () -> new CpuLatencyProfile(1, p.machine(), p.terms()));
        assertThrows(IllegalArgumentException.class, () -> LinearTerm.of(List.of("a"), 1, -1));
    }

    @Test
    void repeatedNamesDirectoriesAndNonTextAreRefusedNamingTheFile(@TempDir Path dir) throws Exception {
        String json = CpuLatencyModelTest.handProfile().toJson();
        // a term written twice: a JSON parser would silently keep one of the two
        int at = json.indexOf("\"POOL\"");
        String twice = json.substring(0, at) + json.substring(at, json.indexOf('}', at) + 1) + ", "
                + json.substring(at);
        ProfileFormatException d = assertThrows(ProfileFormatException.class,
                () -> CpuLatencyProfile.fromJson(twice, "twice.json"));
        assertTrue(d.getMessage().contains("twice.json: the name $.terms.POOL appears twice"), d.getMessage());
        ProfileFormatException v = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                json.replace("\"formatVersion\": 4", "\"formatVersion\": 2.5"), "v.json"));
        assertTrue(v.getMessage().contains("formatVersion must be an integer, got 2.5"), v.getMessage());
        ProfileFormatException c = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                json.replaceFirst("\"coefficients\": \\[", "\"coefficients\": [NaN, "), "nan.json"));
        assertTrue(c.getMessage().contains("nan.json: invalid profile: coefficients must hold the intercept"),
                c.getMessage());

        Path directory = Files.createDirectories(dir.resolve("profile.json"));
        ProfileFormatException e = assertThrows(ProfileFormatException.class,
                () -> CpuLatencyProfile.read(directory));
        assertTrue(e.getMessage().contains(directory + ": is a directory"), e.getMessage());
        Path binary = dir.resolve("binary.json");
        Files.write(binary, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}'});
        ProfileFormatException b = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.read(binary));
        assertTrue(b.getMessage().contains(binary + ": is not valid UTF-8 text"), b.getMessage());
        Path large = dir.resolve("large.json");
        Files.write(large, new byte[(int) CpuLatencyProfile.MAX_FILE_BYTES + 1]);
        ProfileFormatException l = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.read(large));
        assertTrue(l.getMessage().contains("more than the limit of 1048576"), l.getMessage());
    }
}
