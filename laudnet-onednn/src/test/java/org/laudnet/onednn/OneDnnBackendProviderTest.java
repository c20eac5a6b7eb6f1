package org.laudnet.onednn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.DeviceKind;

/**
 * The provider as {@link Backends} sees it: found on the classpath, available here with oneDNN's version, preferred
 * by {@link DeviceKind#AUTO} without a GPU and by {@link Backends#createFastestCpu}, chosen by id; {@link DeviceKind#CPU}
 * stays the DJL backend.
 */
class OneDnnBackendProviderTest {

    @Test
    void theProviderIsFoundAndAvailable() {
        BackendProvider p = Backends.providers().stream().filter(x -> x.id().equals(OneDnnBackend.ID)).findFirst()
                .orElseThrow(() -> new AssertionError("no onednn provider among " + Backends.providers()));
        assertEquals(DeviceKind.CPU, p.deviceKind());
        assertTrue(p.cpuRank() > 0);
        BackendProvider.Availability a = p.availability();
        assertTrue(a.available(), a.reason());
        assertTrue(a.reason().startsWith("oneDNN 3."), a.reason());
        assertTrue(a.reason().contains("threads"), a.reason());
    }

    @Test
    void autoAndTheFastestCpuChoicePickOneDnnAndCpuStaysDjl() {
        try (NDManager m = NDManager.newBaseManager()) {
            boolean gpu = Backends.providers().stream()
                    .anyMatch(p -> p.deviceKind() == DeviceKind.CUDA && p.availability().available());
            try (Backend<?> auto = Backends.create(DeviceKind.AUTO, m)) {
                assertEquals(gpu ? "cuda" : OneDnnBackend.ID, auto.id());
            }
            try (Backend<?> fastest = Backends.createFastestCpu(m)) {
                assertEquals(OneDnnBackend.ID, fastest.id());
            }
            try (Backend<?> cpu = Backends.create(DeviceKind.CPU, m)) {
                assertEquals("djl-cpu", cpu.id());
            }
            try (Backend<?> byId = Backends.create("ONEDNN", m)) {
                assertEquals(OneDnnBackend.ID, byId.id());
                assertTrue(byId.description().contains("oneDNN"), byId.description());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.create("tpu", m));
            assertTrue(e.getMessage().contains("'tpu'") && e.getMessage().contains("onednn"), e.getMessage());
        }
    }

    @Test
    void aClosedBackendRefusesWork() {
        OneDnnBackend b = OneDnnBackend.create();
        b.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, b::newKernels);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }
}
