package org.laudnet.cuda;

/**
 * Grid and block dimensions of one kernel launch, computed on the host exactly as the kernels expect them.
 *
 * <p>Immutable and thread-safe.
 *
 * @param gridX blocks along x
 * @param gridY blocks along y
 * @param gridZ blocks along z
 * @param blockX threads per block along x (the kernels use 1-D blocks)
 * @param dynamicSharedBytes dynamic shared memory per block (the kernels declare only static shared memory, so 0)
 */
public record LaunchConfig(int gridX, int gridY, int gridZ, int blockX, int dynamicSharedBytes) {

    /** Most blocks a grid-stride kernel is launched with; larger problems loop inside the kernel. */
    public static final int MAX_GRID_STRIDE_BLOCKS = 65_536;
    /** CUDA's limit on gridDim.y and gridDim.z. */
    public static final int MAX_GRID_YZ = 65_535;

    /** Validates the dimensions (a zero grid dimension denotes an empty launch that is skipped). */
    public LaunchConfig {
        if (gridX < 0 || gridY < 0 || gridZ < 0) {
            throw new IllegalArgumentException(
                    "grid dimensions must be non-negative, got (" + gridX + ", " + gridY + ", " + gridZ + ")");
        }
        if (gridY > MAX_GRID_YZ || gridZ > MAX_GRID_YZ) {
            throw new IllegalArgumentException(
                    "gridY and gridZ must be at most " + MAX_GRID_YZ + ", got " + gridY + " and " + gridZ);
        }
        if (blockX <= 0 || blockX > 1024) {
            throw new IllegalArgumentException("blockX must be in [1, 1024], got " + blockX);
        }
        if (dynamicSharedBytes < 0) {
            throw new IllegalArgumentException("dynamicSharedBytes must be non-negative, got " + dynamicSharedBytes);
        }
    }

    /**
     * The launch of an implicit-GEMM kernel: {@code (ceil(n / 64), ceil(mPerGroup / 64), groups)} blocks of 256
     * threads.
     *
     * @param mPerGroup output channels per group (GEMM rows)
     * @param n output positions (GEMM columns), may be 0
     * @param groups convolution groups
     * @return the launch configuration
     */
    public static LaunchConfig gemm(int mPerGroup, long n, int groups) {
        if (mPerGroup <= 0) {
            throw new IllegalArgumentException("mPerGroup must be positive, got " + mPerGroup);
        }
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("n must be in [0, 2^31), got " + n);
        }
        if (groups <= 0) {
            throw new IllegalArgumentException("groups must be positive, got " + groups);
        }
        int gx = (int) ((n + Kernel.GEMM_TILE - 1) / Kernel.GEMM_TILE);
        int gy = (mPerGroup + Kernel.GEMM_TILE - 1) / Kernel.GEMM_TILE;
        return new LaunchConfig(gx, gy, groups, Kernel.GEMM_THREADS, 0);
    }

    /**
     * The launch of a 1-D grid-stride kernel over {@code total} elements: {@code min(ceil(total / 256), 65536)}
     * blocks of 256 threads.
     *
     * @param total number of elements, may be 0
     * @return the launch configuration
     */
    public static LaunchConfig elementwise(long total) {
        if (total < 0 || total > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("total must be in [0, 2^31), got " + total);
        }
        long blocks = (total + Kernel.GEMM_THREADS - 1) / Kernel.GEMM_THREADS;
        return new LaunchConfig((int) Math.min(blocks, MAX_GRID_STRIDE_BLOCKS), 1, 1, Kernel.GEMM_THREADS, 0);
    }

    /**
     * The launch of a warp-per-row kernel over {@code rows} rows: 8 rows per block of 256 threads, at most 65536
     * blocks.
     *
     * @param rows number of rows, may be 0
     * @return the launch configuration
     */
    public static LaunchConfig warpPerRow(long rows) {
        if (rows < 0 || rows > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rows must be in [0, 2^31), got " + rows);
        }
        int warps = Kernel.GEMM_THREADS / 32;
        long blocks = (rows + warps - 1) / warps;
        return new LaunchConfig((int) Math.min(blocks, MAX_GRID_STRIDE_BLOCKS), 1, 1, Kernel.GEMM_THREADS, 0);
    }

    /** Returns whether the launch has no blocks (nothing to compute; the wrappers skip it). */
    public boolean isEmpty() {
        return gridX == 0 || gridY == 0 || gridZ == 0;
    }
}
