package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
        assertEquals(p.terms().keySet(), back.terms().keySet());
        for (CpuTerm t : p.terms().keySet()) {
            assertEquals(p.term(t), back.term(t), t.name());
        }
        assertEquals(0.5, back.term(CpuTerm.SPATIAL_WINDOWS).coefficient("patterns"), 0);
        assertTrue(Files.readString(f).contains("\"formatVersion\": 6"));
        assertEquals("djl-cpu", back.machine().backend());
        assertEquals("djl-cpu test backend", back.machine().backendDescription());
        assertEquals(p.spatialSchedules(), back.spatialSchedules());
        assertFalse(back.has(CpuTerm.SPATIAL_HALO));
        // a oneDNN-like profile keeps exactly its schedules through the file
        CpuLatencyProfile halo = CpuLatencyModelTest.haloProfile();
        Path g = dir.resolve("halo.json");
        halo.write(g);
        CpuLatencyProfile haloBack = CpuLatencyProfile.read(g);
        assertEquals(List.of(CpuTerm.SPATIAL_HALO, CpuTerm.SPATIAL_WINDOWS, CpuTerm.SPATIAL_ROWS),
                haloBack.spatialSchedules());
        assertEquals(halo.term(CpuTerm.SPATIAL_HALO), haloBack.term(CpuTerm.SPATIAL_HALO));
        assertEquals("onednn", haloBack.machine().backend());
    }

    @Test
    void aProfileOfAnotherBackendIsRefusedNamingBoth() throws Exception {
        CpuLatencyProfile p = CpuLatencyModelTest.handProfile();
        p.requireBackend("djl-cpu", "p.json");
        p.requireBackend("DJL-CPU", "p.json");
        ProfileBackendMismatchException e = assertThrows(ProfileBackendMismatchException.class,
                () -> p.requireBackend("onednn", "p.json"));
        assertEquals("p.json: the profile was measured on backend 'djl-cpu', but this run uses backend 'onednn';"
                + " calibrate that backend ('scripts/laudnet calibrate --backend onednn') or run on the profile's"
                + " ('--backend djl-cpu')", e.getMessage());
        assertEquals("djl-cpu", e.profileBackend());
        assertEquals("onednn", e.runBackend());
        assertTrue(e instanceof org.laudnet.core.io.LaudInputException);
    }

    @Test
    void olderFormatsAndProfilesWithoutABackendAreRefused() {
        String json = CpuLatencyModelTest.handProfile().toJson();
        // format 4: no backend, the spatial terms of the DJL backend only; refused with its version
        ProfileFormatException v4 = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                json.replace("\"formatVersion\": 6", "\"formatVersion\": 4"), "v4.json"));
        assertTrue(v4.getMessage().startsWith("v4.json: formatVersion 4 is not supported (this build reads version 6)"),
                v4.getMessage());
        assertTrue(v4.getMessage().contains("recalibrate"), v4.getMessage());
        // format 5: the same terms, but timed with the conversion of arrays into the backend's layout
        ProfileFormatException v5 = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                json.replace("\"formatVersion\": 6", "\"formatVersion\": 5"), "v5.json"));
        assertTrue(v5.getMessage().startsWith("v5.json: formatVersion 5 is not supported (this build reads version 6)"),
                v5.getMessage());
        String noBackend = json.replaceFirst("\"backend\": \"djl-cpu\",", "");
        assertTrue(noBackend.length() < json.length());
        ProfileFormatException b = assertThrows(ProfileFormatException.class,
                () -> CpuLatencyProfile.fromJson(noBackend, "nb.json"));
        assertTrue(b.getMessage().contains("nb.json: invalid profile: machine.backend must name the backend"),
                b.getMessage());
        // an unknown term is refused, not dropped (the spatial schedule terms being optional)
        ProfileFormatException u = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                json.replace("\"SPATIAL_M1\"", "\"SPATIAL_M2\""), "u.json"));
        assertTrue(u.getMessage().startsWith("u.json: unknown term SPATIAL_M2 in terms"), u.getMessage());
    }

    @Test
    void unknownVersionMissingFileAndBadJsonAreClearErrors(@TempDir Path dir) throws Exception {
        String json = CpuLatencyModelTest.handProfile().toJson().replace("\"formatVersion\": 6",
                "\"formatVersion\": 7");
        ProfileFormatException e = assertThrows(ProfileFormatException.class,
                () -> CpuLatencyProfile.fromJson(json, "p.json"));
        assertTrue(e.getMessage().contains("p.json") && e.getMessage().contains("formatVersion 7"), e.getMessage());
        // a profile of format 3 (before the CHANNEL_UNION term) is refused with the version, not misread
        ProfileFormatException old = assertThrows(ProfileFormatException.class, () -> CpuLatencyProfile.fromJson(
                CpuLatencyModelTest.handProfile().toJson().replace("\"formatVersion\": 6", "\"formatVersion\": 3"),
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
        // a spatial schedule term is optional (the backend's schedules), every other term required
        Map<CpuTerm, LinearTerm> fewer = new EnumMap<>(p.terms());
        fewer.remove(CpuTerm.SPATIAL_ROWS);
        assertEquals(List.of(CpuTerm.SPATIAL_WINDOWS, CpuTerm.SPATIAL_M1),
                new CpuLatencyProfile(CpuLatencyProfile.FORMAT_VERSION, p.machine(), fewer).spatialSchedules());
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
                json.replace("\"formatVersion\": 6", "\"formatVersion\": 2.5"), "v.json"));
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
