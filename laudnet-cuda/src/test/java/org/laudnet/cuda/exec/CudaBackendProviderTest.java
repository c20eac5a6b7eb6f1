package org.laudnet.cuda.exec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.Backends;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.core.exec.djl.DjlBackend;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.Precision;

/** The service-loader registration and the CPU fallback on a machine without a usable GPU. */
class CudaBackendProviderTest {

    private static void assumeNoCuda() {
        org.junit.jupiter.api.Assumptions.assumeFalse(CudaAvailability.isAvailable(),
                "a CUDA device is usable here; the fallback is not exercised");
    }

    @Test
    void registeredThroughTheServiceLoader() {
        List<BackendProvider> providers = Backends.providers();
        BackendProvider p = providers.stream().filter(x -> x instanceof CudaBackendProvider).findFirst()
                .orElseThrow(() -> new AssertionError("CudaBackendProvider not found among " + providers));
        assertEquals("cuda", p.id());
        assertEquals(DeviceKind.CUDA, p.deviceKind());
    }

    @Test
    void availabilityIsTheProbe() {
        BackendProvider.Availability a = new CudaBackendProvider().availability();
        assertEquals(CudaAvailability.isAvailable(), a.available());
        assertEquals(CudaAvailability.reason(), a.reason());
        assertFalse(a.reason().isBlank());
    }

    @Test
    void withoutADriverTheProviderRefusesWithTheReason() {
        assumeNoCuda();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new CudaBackendProvider().create());
        assertTrue(e.getMessage().contains(CudaAvailability.reason()), e.getMessage());
    }

    @Test
    void autoFallsBackToTheDjlCpuBackend() {
        assumeNoCuda();
        try (NDManager manager = NDManager.newBaseManager();
                Backend<?> b = Backends.create(DeviceKind.AUTO, manager)) {
            assertInstanceOf(DjlBackend.class, b);
            assertEquals("djl-cpu", b.id());
        }
    }

    @Test
    void cudaRequestedWithoutADriverFailsClearly() {
        assumeNoCuda();
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Backends.create(DeviceKind.CUDA, manager));
            assertTrue(e.getMessage().contains("CUDA requested but unavailable"), e.getMessage());
            assertTrue(e.getMessage().contains("cuda: " + CudaAvailability.reason()), e.getMessage());
        }
    }

    @Test
    void settingsComeFromSystemProperties() {
        String device = System.getProperty(CudaBackendProvider.DEVICE_PROPERTY);
        String precision = System.getProperty(CudaBackendProvider.PRECISION_PROPERTY);
        try {
            System.clearProperty(CudaBackendProvider.DEVICE_PROPERTY);
            System.clearProperty(CudaBackendProvider.PRECISION_PROPERTY);
            assertEquals(0, CudaBackendProvider.deviceOrdinal());
            assertEquals(Precision.FP32, CudaBackendProvider.precision());
            System.setProperty(CudaBackendProvider.DEVICE_PROPERTY, "2");
            System.setProperty(CudaBackendProvider.PRECISION_PROPERTY, "tf32");
            assertEquals(2, CudaBackendProvider.deviceOrdinal());
            assertEquals(Precision.TF32, CudaBackendProvider.precision());
            System.setProperty(CudaBackendProvider.DEVICE_PROPERTY, "-1");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    CudaBackendProvider::deviceOrdinal);
            assertTrue(e.getMessage().contains("laudnet.cuda.device") && e.getMessage().contains("-1"),
                    e.getMessage());
            System.setProperty(CudaBackendProvider.PRECISION_PROPERTY, "fp16");
            IllegalArgumentException p = assertThrows(IllegalArgumentException.class, CudaBackendProvider::precision);
            assertTrue(p.getMessage().contains("laudnet.cuda.precision") && p.getMessage().contains("fp16"),
                    p.getMessage());
        } finally {
            restore(CudaBackendProvider.DEVICE_PROPERTY, device);
            restore(CudaBackendProvider.PRECISION_PROPERTY, precision);
        }
    }

    private static void restore(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }
}
