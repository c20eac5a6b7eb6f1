package org.laudnet.core.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class BackendsByIdTest {

    @Test
    void knownIdsCreateTheirBackendsAndUnknownOnesAreNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            for (String id : new String[] {"djl-cpu", "djl", "cpu"}) {
                Backend<?> b = Backends.create(id, m);
                try {
                    assertEquals("djl-cpu", b.id(), id);
                } finally {
                    b.close();
                }
            }
            Backend<?> ref = Backends.create("java", m);
            try {
                assertEquals("java", ref.id());
            } finally {
                ref.close();
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Backends.create("abacus", m));
            assertTrue(e.getMessage().contains("'abacus'") && e.getMessage().contains("djl-cpu")
                    && e.getMessage().contains("java"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Backends.create((String) null, m));
            assertThrows(IllegalArgumentException.class, () -> Backends.create("djl-cpu", null));
        }
    }
}
