package org.laudnet.cuda;

/**
 * A CUDA driver (or NVRTC) call returned an error code. The message names the call, the numeric result and its
 * symbolic name, e.g. {@code "cuModuleLoadDataEx failed: 222 CUDA_ERROR_UNSUPPORTED_PTX_VERSION"}. Immutable.
 */
public final class CudaDriverException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String call;
    private final int result;

    /**
     * Creates the exception.
     *
     * @param call the name of the failing call, e.g. {@code "cuMemAlloc"}
     * @param result the numeric result code returned by the call
     * @param resultName the symbolic name of {@code result}
     * @param detail extra context (may be empty)
     */
    public CudaDriverException(String call, int result, String resultName, String detail) {
        super(call + " failed: " + result + " " + resultName + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")"));
        this.call = call;
        this.result = result;
    }

    /** Returns the name of the driver call that failed. */
    public String call() {
        return call;
    }

    /** Returns the numeric result code of the failed call. */
    public int result() {
        return result;
    }
}
