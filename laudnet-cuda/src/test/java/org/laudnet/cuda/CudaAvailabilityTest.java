package org.laudnet.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class CudaAvailabilityTest {

    @Test
    void probeIsCachedAndExplainsItself() {
        CudaAvailability.Status first = CudaAvailability.status();
        assertSame(first, CudaAvailability.status());
        assertFalse(first.reason().isBlank());
        if (first.available()) {
            assertTrue(first.deviceCount() > 0, first.reason());
        } else {
            assertEquals(0, first.deviceCount());
        }
    }

    @Test
    void withoutDriverContextCreationFailsWithTheReason() {
        if (CudaAvailability.isAvailable()) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> CudaContext.primary(-1));
            assertTrue(e.getMessage().contains("deviceOrdinal"), e.getMessage());
            return;
        }
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaContext.primary(0));
        assertTrue(e.getMessage().contains(CudaAvailability.reason()), e.getMessage());
    }

    @Test
    void computeCapabilityArithmetic() {
        ComputeCapability cc = ComputeCapability.ofSm(86);
        assertEquals(8, cc.major());
        assertEquals(6, cc.minor());
        assertEquals(86, cc.smNumber());
        assertTrue(cc.hasTf32TensorCores());
        assertFalse(new ComputeCapability(7, 5).hasTf32TensorCores());
        assertEquals("7.0", new ComputeCapability(7, 0).toString());
        assertThrows(IllegalArgumentException.class, () -> new ComputeCapability(8, 10));
    }

    @Test
    void tensorCoreSharedMemoryOnlyFromSm80() {
        assertEquals(Kernel.GEMM_SHARED_BYTES_FP32,
                Kernel.CONV2D_TC.staticSharedBytes(new ComputeCapability(7, 5)));
        assertEquals(Kernel.GEMM_SHARED_BYTES_TF32,
                Kernel.CONV2D_TC.staticSharedBytes(new ComputeCapability(8, 0)));
        assertEquals(0, Kernel.MAXPOOL2D.staticSharedBytes(new ComputeCapability(9, 0)));
        assertEquals(Kernel.CONV2D_TC, Kernel.select(Kernel.CONV2D_F32, Kernel.CONV2D_TC, Precision.TF32));
        assertEquals(Kernel.CONV2D_F32, Kernel.select(Kernel.CONV2D_F32, Kernel.CONV2D_TC, Precision.FP32));
    }
}
