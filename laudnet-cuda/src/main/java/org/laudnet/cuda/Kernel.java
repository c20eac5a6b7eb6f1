package org.laudnet.cuda;

/**
 * Every entry point of the LAUDNet kernel module ({@code laudnet_kernels.cu}), with the facts the host needs to launch
 * it.
 *
 * <p>GEMM kernels compute a convolution as an implicit GEMM {@code C[M][N] = A[M][K] B[K][N]} (M = output channels per
 * group, N = output positions, K = input channels per group times kernel area) with blocks of
 * {@value #GEMM_THREADS} threads that each own a {@value #GEMM_TILE} x {@value #GEMM_TILE} tile of C; the grid is
 * {@code (ceil(N / 64), ceil(M / 64), groups)}. Their shared memory is static: two {@code 16 x 68} fp32 tiles
 * ({@value #GEMM_SHARED_BYTES_FP32} bytes), plus a {@code 64 x 68} accumulator staging tile for the tensor-core path
 * ({@value #GEMM_SHARED_BYTES_TF32} bytes in all). Element-wise kernels use 1-D grid-stride loops of
 * {@value #GEMM_THREADS} threads per block (warp-per-row reductions: 8 rows per block).
 *
 * <p>Immutable and thread-safe.
 */
public enum Kernel {
    /** Patch gather with halo + conv1 1x1 + bias + ReLU + out-of-image re-zero, fp32 core. */
    GATHER_CONV1X1_RELU_F32("laud_gather_conv1x1_relu_f32", true, false),
    /** As {@link #GATHER_CONV1X1_RELU_F32} with the TF32 tensor-core core. */
    GATHER_CONV1X1_RELU_TC("laud_gather_conv1x1_relu_tc", true, true),
    /** conv2 3x3 (no padding, stride s, groups) + bias + ReLU on gathered windows, fp32 core. */
    PATCH_CONV3X3_RELU_F32("laud_patch_conv3x3_relu_f32", true, false),
    /** As {@link #PATCH_CONV3X3_RELU_F32} with the TF32 tensor-core core. */
    PATCH_CONV3X3_RELU_TC("laud_patch_conv3x3_relu_tc", true, true),
    /** conv3 1x1 + bias + scatter-add into the identity + ReLU, fp32 core. */
    PATCH_CONV1X1_SCATTER_RELU_F32("laud_patch_conv1x1_scatter_relu_f32", true, false),
    /** As {@link #PATCH_CONV1X1_SCATTER_RELU_F32} with the TF32 tensor-core core. */
    PATCH_CONV1X1_SCATTER_RELU_TC("laud_patch_conv1x1_scatter_relu_tc", true, true),
    /** Dense convolution + optional bias, residual and ReLU, fp32 core. */
    CONV2D_F32("laud_conv2d_f32", true, false),
    /** As {@link #CONV2D_F32} with the TF32 tensor-core core. */
    CONV2D_TC("laud_conv2d_tc", true, true),
    /** {@code out = ReLU(identity)} at the elements whose cell (of the channel's mask group) is closed. */
    FILL_INACTIVE_RELU("laud_fill_inactive_relu", false, false),
    /** Copies the listed samples of a batch into a compact batch (layer skipping). */
    GATHER_SAMPLES("laud_gather_samples", false, false),
    /** Scatters a compact branch batch back: {@code out[idx[i]] = ReLU(identity[idx[i]] + branch[i])}. */
    SCATTER_SAMPLES_RESIDUAL_RELU("laud_scatter_samples_residual_relu", false, false),
    /** Max pooling with {@code -inf} padding. */
    MAXPOOL2D("laud_maxpool2d", false, false),
    /** Global average pooling, one warp per row. */
    GLOBAL_AVG_POOL("laud_global_avg_pool", false, false),
    /** Element-wise {@code max(x, 0)}. */
    RELU("laud_relu", false, false),
    /** Average pooling over non-overlapping {@code k x k} windows. */
    AVGPOOL2D("laud_avgpool2d", false, false),
    /** Per-channel scaling by a factor or its sigmoid. */
    SCALE_CHANNELS("laud_scale_channels", false, false),
    /** Mean over the positions any mask group keeps, one warp per row. */
    MASKED_MEAN("laud_masked_mean", false, false),
    /** Per-sample mean of patch outputs over their output positions, one warp per row. */
    PATCH_MEANS("laud_patch_means", false, false),
    /** Patch outputs times the sigmoid of their sample's per-channel factors. */
    SCALE_PATCHES_SIGMOID("laud_scale_patches_sigmoid", false, false);

    /** Threads per block of every kernel. */
    public static final int GEMM_THREADS = 256;
    /** Side of the output tile of the GEMM kernels (both M and N). */
    public static final int GEMM_TILE = 64;
    /** Depth of one K step of the GEMM kernels. */
    public static final int GEMM_TILE_K = 16;
    /** Static shared memory of an fp32 GEMM block: {@code 2 * 16 * (64 + 4) * 4} bytes. */
    public static final int GEMM_SHARED_BYTES_FP32 = 2 * GEMM_TILE_K * (GEMM_TILE + 4) * Float.BYTES;
    /** Static shared memory of a tensor-core GEMM block: the fp32 tiles plus {@code 64 * (64 + 4) * 4} bytes. */
    public static final int GEMM_SHARED_BYTES_TF32 = GEMM_SHARED_BYTES_FP32 + GEMM_TILE * (GEMM_TILE + 4) * Float.BYTES;

    private final String entryName;
    private final boolean gemm;
    private final boolean tensorCore;

    Kernel(String entryName, boolean gemm, boolean tensorCore) {
        this.entryName = entryName;
        this.gemm = gemm;
        this.tensorCore = tensorCore;
    }

    /** Returns the {@code extern "C"} name of the entry point, as it appears after {@code .entry} in the PTX. */
    public String entryName() {
        return entryName;
    }

    /**
     * Static shared memory one block of this kernel declares when compiled for the given architecture.
     *
     * @param capability the compute capability the PTX targets
     * @return bytes of static shared memory per block (0 for element-wise kernels)
     */
    public int staticSharedBytes(ComputeCapability capability) {
        if (!gemm) {
            return 0;
        }
        return tensorCore && capability.hasTf32TensorCores() ? GEMM_SHARED_BYTES_TF32 : GEMM_SHARED_BYTES_FP32;
    }

    /**
     * Chooses the fp32 or tensor-core variant of a GEMM kernel pair.
     *
     * @param fp32 the fp32 variant
     * @param tc the tensor-core variant
     * @param precision requested arithmetic
     * @return {@code tc} for {@link Precision#TF32}, otherwise {@code fp32}
     */
    static Kernel select(Kernel fp32, Kernel tc, Precision precision) {
        return precision == Precision.TF32 ? tc : fp32;
    }
}
