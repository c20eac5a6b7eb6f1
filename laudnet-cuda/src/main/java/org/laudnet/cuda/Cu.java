package org.laudnet.cuda;

import jcuda.driver.CUresult;

/** Checks CUDA driver results; every driver call of this package goes through {@link #check}. */
final class Cu {

    private Cu() {}

    /**
     * Throws unless {@code result == CUDA_SUCCESS}.
     *
     * @param result the value returned by the driver call
     * @param call the call's name, placed in the message
     * @throws CudaDriverException naming {@code call} and the result
     */
    static void check(int result, String call) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaDriverException(call, result, CUresult.stringFor(result), "");
        }
    }

    /**
     * Like {@link #check(int, String)} with extra context in the message.
     *
     * @param result the value returned by the driver call
     * @param call the call's name
     * @param detail what the call was doing
     */
    static void check(int result, String call, String detail) {
        if (result != CUresult.CUDA_SUCCESS) {
            throw new CudaDriverException(call, result, CUresult.stringFor(result), detail);
        }
    }
}
