package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.reference.ReferenceBackend;

/**
 * {@link Backends} with the core module alone (no provider on the classpath): selection by id, the fastest CPU choice
 * falling back to DJL, {@link DeviceKind#CPU} and {@link DeviceKind#AUTO} on DJL, named errors.
 */
class BackendsTest {

    @Test
    void backendsAreCreatedByIdAndTheCpuChoicesFallBackToDjl() {
        assertTrue(Backends.providers().stream().noneMatch(p -> p.deviceKind() == DeviceKind.CPU),
                "no CPU provider in the core module");
        try (NDManager m = NDManager.newBaseManager()) {
            try (Backend<?> b = Backends.create("java", m)) {
                assertTrue(b instanceof ReferenceBackend);
            }
            try (Backend<?> b = Backends.create(" DJL-CPU ", m)) {
                assertEquals("djl-cpu", b.id());
            }
            try (Backend<?> b = Backends.createFastestCpu(m)) {
                assertEquals("djl-cpu", b.id());
            }
            try (Backend<?> b = Backends.create(DeviceKind.AUTO, m)) {
                assertEquals("djl-cpu", b.id());
            }
            try (Backend<?> b = Backends.create(DeviceKind.CPU, m)) {
                assertEquals("djl-cpu", b.id());
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Backends.create("onednn", m));
            assertTrue(e.getMessage().contains("'onednn'") && e.getMessage().contains("djl-cpu"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Backends.create((String) null, m));
            assertThrows(IllegalArgumentException.class, () -> Backends.createFastestCpu(null));
        }
    }

    @Test
    void providersRankBelowOrAtDjlByDefault() {
        BackendProvider p = new BackendProvider() {
            @Override
            public String id() {
                return "x";
            }

            @Override
            public DeviceKind deviceKind() {
                return DeviceKind.CPU;
            }

            @Override
            public Availability availability() {
                return new Availability(true, "test");
            }

            @Override
            public Backend<?> create() {
                return new ReferenceBackend();
            }
        };
        assertEquals(0, p.cpuRank(), "a provider never displaces DJL unless it ranks itself above 0");
    }
}
