package org.laudnet.cuda;

import jcuda.nvrtc.JNvrtc;
import jcuda.nvrtc.nvrtcProgram;
import jcuda.nvrtc.nvrtcResult;

/**
 * Runtime compilation of the kernel source to PTX with NVRTC: the last resort, for GPUs older than every shipped PTX
 * (compute capability below 7.0) or a driver that rejects every shipped file. JCuda's NVRTC binding needs
 * {@code libnvrtc.so.12} from a CUDA 12 toolkit on the library path, and NVRTC 12 emits PTX ISA 8.0 or newer, which
 * only a CUDA 12 driver loads.
 */
final class NvrtcCompiler {

    /** The library JCuda's NVRTC binding links against. */
    static final String LIBRARY = "libnvrtc.so.12";

    private NvrtcCompiler() {}

    /**
     * Compiles the source for {@code compute_XX} of the given capability.
     *
     * @param source CUDA C source
     * @param capability target compute capability
     * @return the PTX text
     * @throws IllegalStateException if NVRTC cannot be loaded (message names {@value #LIBRARY})
     * @throws CudaDriverException if compilation fails (message carries the compiler log)
     */
    static String compile(String source, ComputeCapability capability) {
        try {
            nvrtcProgram program = new nvrtcProgram();
            checkNvrtc(JNvrtc.nvrtcCreateProgram(program, source, "laudnet_kernels.cu", 0, null, null),
                    "nvrtcCreateProgram", "");
            try {
                String[] options = {"--gpu-architecture=compute_" + capability.smNumber(), "-std=c++17"};
                int r = JNvrtc.nvrtcCompileProgram(program, options.length, options);
                if (r != nvrtcResult.NVRTC_SUCCESS) {
                    String[] log = {""};
                    JNvrtc.nvrtcGetProgramLog(program, log);
                    checkNvrtc(r, "nvrtcCompileProgram", log[0]);
                }
                String[] ptx = {null};
                checkNvrtc(JNvrtc.nvrtcGetPTX(program, ptx), "nvrtcGetPTX", "");
                return ptx[0];
            } finally {
                JNvrtc.nvrtcDestroyProgram(program);
            }
        } catch (LinkageError e) {
            throw new IllegalStateException("NVRTC runtime compilation unavailable: " + LIBRARY
                    + " (CUDA 12 toolkit) not found on the library path (" + e.getMessage() + ")", e);
        }
    }

    private static void checkNvrtc(int result, String call, String log) {
        if (result != nvrtcResult.NVRTC_SUCCESS) {
            throw new CudaDriverException(call, result, nvrtcResult.stringFor(result), log);
        }
    }
}
