package org.laudnet.core.latency.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.Backends;

class CpuBackendsTest {

    @Test
    void namesResolveToCpuBackendsAndUnknownNamesListTheChoices() {
        try (NDManager m = NDManager.newBaseManager()) {
            // without a faster CPU provider on this module's classpath the fastest CPU backend is DJL's
            try (Backend<?> b = CpuBackends.create(CpuBackends.FASTEST, m)) {
                assertEquals(Backends.DJL_ID, b.id());
                assertTrue(b.intraOpThreads() > 0);
            }
            try (Backend<?> b = CpuBackends.create(" Java ", m)) {
                assertEquals(Backends.REFERENCE_ID, b.id());
                assertEquals(0, b.intraOpThreads(), "the reference backend has no intra-op pool");
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CpuBackends.create("quantum", m));
            assertTrue(e.getMessage().startsWith("backend must be one of [fastest, djl-cpu, java"), e.getMessage());
            assertTrue(e.getMessage().endsWith("got 'quantum'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> CpuBackends.create(null, m));
        }
        assertTrue(CpuBackends.choices().containsAll(java.util.List.of("fastest", "djl-cpu", "java")));
    }
}
