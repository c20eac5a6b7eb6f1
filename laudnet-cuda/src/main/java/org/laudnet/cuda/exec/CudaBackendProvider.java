package org.laudnet.cuda.exec;

import java.util.Locale;
import org.laudnet.core.exec.Backend;
import org.laudnet.core.exec.BackendProvider;
import org.laudnet.core.exec.DeviceKind;
import org.laudnet.cuda.CudaAvailability;
import org.laudnet.cuda.Precision;

/**
 * Offers the {@link CudaBackend} to {@link org.laudnet.core.exec.Backends} (registered in
 * {@code META-INF/services/org.laudnet.core.exec.BackendProvider}). Availability is the cached
 * {@link CudaAvailability} probe, which never throws: on a machine without an NVIDIA driver it reports
 * {@code "no NVIDIA driver: libcuda.so not found (...)"}, and {@code Backends.create(DeviceKind.AUTO, ...)} falls back
 * to the CPU with that reason.
 *
 * <p>Settings (system properties, read at {@link #create()}): {@value #DEVICE_PROPERTY}, the device ordinal used when
 * no context is current (default 0); {@value #PRECISION_PROPERTY}, {@code FP32} (default) or {@code TF32}.
 *
 * <p>Stateless and thread-safe.
 */
public final class CudaBackendProvider implements BackendProvider {

    /** System property: the CUDA device ordinal (default 0). */
    public static final String DEVICE_PROPERTY = "laudnet.cuda.device";
    /** System property: the GEMM arithmetic, {@code FP32} (default) or {@code TF32}. */
    public static final String PRECISION_PROPERTY = "laudnet.cuda.precision";

    /** Creates the provider (for {@link java.util.ServiceLoader}). */
    public CudaBackendProvider() {}

    /** Returns {@value CudaBackend#ID}. */
    @Override
    public String id() {
        return CudaBackend.ID;
    }

    /** Returns {@link DeviceKind#CUDA}. */
    @Override
    public DeviceKind deviceKind() {
        return DeviceKind.CUDA;
    }

    /** Returns the cached driver probe: available with the devices found, or unavailable with the reason. */
    @Override
    public Availability availability() {
        try {
            CudaAvailability.Status s = CudaAvailability.status();
            return new Availability(s.available(), s.reason());
        } catch (LinkageError | RuntimeException e) {
            return new Availability(false, "JCuda unusable: " + e);
        }
    }

    /**
     * Creates a CUDA backend with the settings of the system properties.
     *
     * @return the backend (the caller owns it)
     * @throws IllegalStateException if CUDA is unavailable (the message carries the probe's reason) or the kernels
     *     cannot be loaded
     * @throws IllegalArgumentException if a system property has an invalid value (the message names it)
     */
    @Override
    public Backend<?> create() {
        Availability a = availability();
        if (!a.available()) {
            throw new IllegalStateException("the CUDA backend cannot run here: " + a.reason());
        }
        return CudaBackend.create(deviceOrdinal(), precision());
    }

    /**
     * Returns the device ordinal of {@value #DEVICE_PROPERTY}.
     *
     * @return the ordinal, 0 when unset
     * @throws IllegalArgumentException if the property is not a non-negative integer
     */
    static int deviceOrdinal() {
        String v = System.getProperty(DEVICE_PROPERTY);
        if (v == null || v.isBlank()) {
            return 0;
        }
        try {
            int d = Integer.parseInt(v.trim());
            if (d >= 0) {
                return d;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException(DEVICE_PROPERTY + " must be a non-negative integer, got '" + v + "'");
    }

    /**
     * Returns the precision of {@value #PRECISION_PROPERTY}.
     *
     * @return the precision, FP32 when unset
     * @throws IllegalArgumentException if the property names no precision
     */
    static Precision precision() {
        String v = System.getProperty(PRECISION_PROPERTY);
        if (v == null || v.isBlank()) {
            return Precision.FP32;
        }
        try {
            return Precision.valueOf(v.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(PRECISION_PROPERTY + " must be FP32 or TF32, got '" + v + "'", e);
        }
    }
}
