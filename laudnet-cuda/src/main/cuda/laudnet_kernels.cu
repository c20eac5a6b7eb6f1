// LAUDNet CUDA kernels: dynamic sparse execution of gated residual blocks (method section 4).
//
// Conventions
//   * fp32 activations in NCHW layout; BatchNorm is folded into every convolution's weight and bias.
//   * Weights: (Cout, Cin/groups, kh, kw) row-major, i.e. a GEMM "A" matrix of Cout rows and K = Cin/groups*kh*kw
//     columns per group.
//   * Spatial patches: an output mask on an m x m grid of cells of S x S output pixels; active patches are listed as
//     int triples (b, i, j). A patch's input window has side T = s*(S-1)+3 and its top-left input pixel is
//     (i*S*s - 1, j*S*s - 1) (padding 1 of the 3x3 convolution). Positions outside the image are zero.
//   * Every convolution is an implicit GEMM C[M][N] = A[M][K] * B[K][N] with M = output channels, N = output
//     positions and K = reduction length. B is never materialised: a "column loader" reads B(k, n) straight from the
//     activation tensor, and an "epilogue" writes C(m, n) with bias, activation, residual and scatter fused in.
//   * Two GEMM cores share the loaders and epilogues: a tiled fp32 shared-memory core (every GPU) and a tensor-core
//     core using WMMA TF32 fragments (16x16x8, fp32 accumulate), compiled only for __CUDA_ARCH__ >= 800. The *_tc
//     entry points fall back to the fp32 core on older architectures, so both variants exist in every PTX file and
//     use the same launch geometry: blocks of 256 threads, each computing a 64 x 64 tile of C, grid
//     (ceil(N/64), ceil(M_per_group/64), groups).
//   * Element counts must stay below 2^31 (checked on the host before launch).

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#include <mma.h>
#define LAUD_HAS_TF32 1
#else
#define LAUD_HAS_TF32 0
#endif

#define LAUD_TILE_M 64
#define LAUD_TILE_N 64
#define LAUD_TILE_K 16
#define LAUD_THREADS 256
#define LAUD_PAD 4

// ---------------------------------------------------------------------------------------------------------------------
// GEMM cores
// ---------------------------------------------------------------------------------------------------------------------

// Loads the A tile (weights, row-major M x K with leading dimension lda) and the B tile (through the column loader)
// for the K block starting at k0 into shared memory laid out [k][m] and [k][n].
template <class Loader>
__device__ __forceinline__ void laud_load_tiles(const float* __restrict__ A, int lda, int M, int K, int m0, int k0,
                                                float (*As)[LAUD_TILE_M + LAUD_PAD],
                                                float (*Bs)[LAUD_TILE_N + LAUD_PAD], const Loader& loader,
                                                const typename Loader::Column& col, int colLocal) {
    const int t = threadIdx.x;
    // A: thread t loads k = t % 16 of rows m = t / 16 + 16 q.
    const int ak = t % LAUD_TILE_K;
    const int am = t / LAUD_TILE_K;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
        const int m = am + 16 * q;
        const int gm = m0 + m;
        const int gk = k0 + ak;
        As[ak][m] = (gm < M && gk < K) ? A[(long long)gm * lda + gk] : 0.0f;
    }
    // B: thread t owns column colLocal = t % 64 and loads rows k = t / 64 + 4 q.
    const int bk = t / LAUD_TILE_N;
#pragma unroll
    for (int q = 0; q < 4; ++q) {
        const int k = bk + 4 * q;
        const int gk = k0 + k;
        Bs[k][colLocal] = (col.valid && gk < K) ? loader.load(col, gk) : 0.0f;
    }
}

// Tiled fp32 GEMM: each of the 256 threads accumulates a 4 x 4 sub-tile (rows ty + 16 i, columns tx + 16 j).
template <class Loader, class Epilogue>
__device__ __forceinline__ void laud_gemm_f32(const float* __restrict__ A, int lda, int M, int N, int K,
                                              const Loader& loader, const Epilogue& epi) {
    __shared__ float As[LAUD_TILE_K][LAUD_TILE_M + LAUD_PAD];
    __shared__ float Bs[LAUD_TILE_K][LAUD_TILE_N + LAUD_PAD];
    const int m0 = blockIdx.y * LAUD_TILE_M;
    const int n0 = blockIdx.x * LAUD_TILE_N;
    const int colLocal = threadIdx.x % LAUD_TILE_N;
    const typename Loader::Column col = loader.column(n0 + colLocal, N);
    const int tx = threadIdx.x % 16;
    const int ty = threadIdx.x / 16;
    float acc[4][4];
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            acc[i][j] = 0.0f;
        }
    }
    for (int k0 = 0; k0 < K; k0 += LAUD_TILE_K) {
        laud_load_tiles(A, lda, M, K, m0, k0, As, Bs, loader, col, colLocal);
        __syncthreads();
#pragma unroll
        for (int k = 0; k < LAUD_TILE_K; ++k) {
            float a[4];
            float b[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
                a[i] = As[k][ty + 16 * i];
                b[i] = Bs[k][tx + 16 * i];
            }
#pragma unroll
            for (int i = 0; i < 4; ++i) {
#pragma unroll
                for (int j = 0; j < 4; ++j) {
                    acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int m = m0 + ty + 16 * i;
            const int n = n0 + tx + 16 * j;
            if (m < M && n < N) {
                epi.store(m, n, acc[i][j]);
            }
        }
    }
}

#if LAUD_HAS_TF32
// Tensor-core GEMM with TF32 inputs and fp32 accumulation. 8 warps; warp w owns rows 16 (w % 4) and the two 16-column
// fragments starting at 32 (w / 4). The accumulators go through shared memory so that the fused epilogue sees
// (m, n, value) exactly as in the fp32 core.
template <class Loader, class Epilogue>
__device__ __forceinline__ void laud_gemm_tc(const float* __restrict__ A, int lda, int M, int N, int K,
                                             const Loader& loader, const Epilogue& epi) {
    using namespace nvcuda;
    __shared__ __align__(32) float As[LAUD_TILE_K][LAUD_TILE_M + LAUD_PAD];
    __shared__ __align__(32) float Bs[LAUD_TILE_K][LAUD_TILE_N + LAUD_PAD];
    __shared__ __align__(32) float Cs[LAUD_TILE_M][LAUD_TILE_N + LAUD_PAD];
    const int m0 = blockIdx.y * LAUD_TILE_M;
    const int n0 = blockIdx.x * LAUD_TILE_N;
    const int colLocal = threadIdx.x % LAUD_TILE_N;
    const typename Loader::Column col = loader.column(n0 + colLocal, N);
    const int warp = threadIdx.x / 32;
    const int wm = (warp % 4) * 16;
    const int wn = (warp / 4) * 32;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> c0;
    wmma::fragment<wmma::accumulator, 16, 16, 8, float> c1;
    wmma::fill_fragment(c0, 0.0f);
    wmma::fill_fragment(c1, 0.0f);
    for (int k0 = 0; k0 < K; k0 += LAUD_TILE_K) {
        laud_load_tiles(A, lda, M, K, m0, k0, As, Bs, loader, col, colLocal);
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < LAUD_TILE_K; kk += 8) {
            wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::col_major> a;
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b0;
            wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b1;
            wmma::load_matrix_sync(a, &As[kk][wm], LAUD_TILE_M + LAUD_PAD);
            wmma::load_matrix_sync(b0, &Bs[kk][wn], LAUD_TILE_N + LAUD_PAD);
            wmma::load_matrix_sync(b1, &Bs[kk][wn + 16], LAUD_TILE_N + LAUD_PAD);
#pragma unroll
            for (int e = 0; e < a.num_elements; ++e) {
                a.x[e] = wmma::__float_to_tf32(a.x[e]);
            }
#pragma unroll
            for (int e = 0; e < b0.num_elements; ++e) {
                b0.x[e] = wmma::__float_to_tf32(b0.x[e]);
                b1.x[e] = wmma::__float_to_tf32(b1.x[e]);
            }
            wmma::mma_sync(c0, a, b0, c0);
            wmma::mma_sync(c1, a, b1, c1);
        }
        __syncthreads();
    }
    wmma::store_matrix_sync(&Cs[wm][wn], c0, LAUD_TILE_N + LAUD_PAD, wmma::mem_row_major);
    wmma::store_matrix_sync(&Cs[wm][wn + 16], c1, LAUD_TILE_N + LAUD_PAD, wmma::mem_row_major);
    __syncthreads();
    const int tx = threadIdx.x % 16;
    const int ty = threadIdx.x / 16;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) {
            const int ml = ty + 16 * i;
            const int nl = tx + 16 * j;
            const int m = m0 + ml;
            const int n = n0 + nl;
            if (m < M && n < N) {
                epi.store(m, n, Cs[ml][nl]);
            }
        }
    }
}
#endif

template <class Loader, class Epilogue>
__device__ __forceinline__ void laud_gemm_tc_or_f32(const float* __restrict__ A, int lda, int M, int N, int K,
                                                    const Loader& loader, const Epilogue& epi) {
#if LAUD_HAS_TF32
    laud_gemm_tc(A, lda, M, N, K, loader, epi);
#else
    laud_gemm_f32(A, lda, M, N, K, loader, epi);
#endif
}

// ---------------------------------------------------------------------------------------------------------------------
// 1) Patch gather with halo fused with conv1 1x1 + bias + ReLU + out-of-image re-zero.
//    x (B, Cin, H, W); patches (P, 3); w1 (C1, Cin); b1 (C1); out (P, C1, T, T).
//    M = C1, N = P*T*T, K = Cin.
// ---------------------------------------------------------------------------------------------------------------------

struct LaudWindowLoader {
    const float* x;
    const int* patches;
    int Cin, H, W, T, S, stride;
    struct Column {
        int base;   // offset of (b, 0, y, x) in x
        int plane;  // H * W
        bool valid;
    };
    __device__ Column column(int n, int N) const {
        Column c;
        c.plane = H * W;
        c.valid = false;
        c.base = 0;
        if (n < N) {
            const int tt = T * T;
            const int p = n / tt;
            const int r = n - p * tt;
            const int ty = r / T;
            const int tx = r - ty * T;
            const int b = patches[3 * p];
            const int y = patches[3 * p + 1] * S * stride - 1 + ty;
            const int xx = patches[3 * p + 2] * S * stride - 1 + tx;
            if (y >= 0 && y < H && xx >= 0 && xx < W) {
                c.valid = true;
                c.base = b * Cin * c.plane + y * W + xx;
            }
        }
        return c;
    }
    __device__ float load(const Column& c, int k) const { return x[c.base + k * c.plane]; }
};

struct LaudWindowReluEpilogue {
    const float* bias;
    const int* patches;
    float* out;
    int C1, H, W, T, S, stride;
    __device__ void store(int m, int n, float acc) const {
        const int tt = T * T;
        const int p = n / tt;
        const int r = n - p * tt;
        const int ty = r / T;
        const int tx = r - ty * T;
        const int y = patches[3 * p + 1] * S * stride - 1 + ty;
        const int xx = patches[3 * p + 2] * S * stride - 1 + tx;
        const bool inside = y >= 0 && y < H && xx >= 0 && xx < W;
        out[(p * C1 + m) * tt + r] = inside ? fmaxf(acc + bias[m], 0.0f) : 0.0f;
    }
};

#define LAUD_GATHER_CONV1X1_BODY(CORE)                                                                             \
    const int T = stride * (S - 1) + 3;                                                                            \
    const int N = P * T * T;                                                                                       \
    LaudWindowLoader loader{x, patches, Cin, H, W, T, S, stride};                                                  \
    LaudWindowReluEpilogue epi{b1, patches, out, C1, H, W, T, S, stride};                                          \
    CORE(w1, Cin, C1, N, Cin, loader, epi);

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_gather_conv1x1_relu_f32(const float* __restrict__ x, const int* __restrict__ patches, int P, int Cin, int H,
                                 int W, int S, int stride, const float* __restrict__ w1, const float* __restrict__ b1,
                                 int C1, float* __restrict__ out) {
    LAUD_GATHER_CONV1X1_BODY(laud_gemm_f32)
}

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_gather_conv1x1_relu_tc(const float* __restrict__ x, const int* __restrict__ patches, int P, int Cin, int H,
                                int W, int S, int stride, const float* __restrict__ w1, const float* __restrict__ b1,
                                int C1, float* __restrict__ out) {
    LAUD_GATHER_CONV1X1_BODY(laud_gemm_tc_or_f32)
}

// ---------------------------------------------------------------------------------------------------------------------
// 2) conv2 3x3 (no padding, stride s, groups g) + bias + ReLU on gathered windows.
//    in (P, C1, T, T); w2 (C2, C1/g, 3, 3); b2 (C2); out (P, C2, S, S).
//    Per group: M = C2/g, N = P*S*S, K = (C1/g)*9; grid.z = g.
// ---------------------------------------------------------------------------------------------------------------------

struct LaudPatch3x3Loader {
    const float* in;
    int C1, T, S, stride, cbase;
    struct Column {
        int base;
        bool valid;
    };
    __device__ Column column(int n, int N) const {
        Column c;
        c.valid = n < N;
        c.base = 0;
        if (c.valid) {
            const int ss = S * S;
            const int p = n / ss;
            const int r = n - p * ss;
            const int oy = r / S;
            const int ox = r - oy * S;
            c.base = (p * C1 + cbase) * T * T + oy * stride * T + ox * stride;
        }
        return c;
    }
    __device__ float load(const Column& c, int k) const {
        const int ci = k / 9;
        const int r = k - ci * 9;
        const int ky = r / 3;
        const int kx = r - ky * 3;
        return in[c.base + ci * T * T + ky * T + kx];
    }
};

struct LaudPatchReluEpilogue {
    const float* bias;
    float* out;
    int C2, S, mbase;
    __device__ void store(int m, int n, float acc) const {
        const int ss = S * S;
        const int p = n / ss;
        const int r = n - p * ss;
        const int co = mbase + m;
        out[(p * C2 + co) * ss + r] = fmaxf(acc + bias[co], 0.0f);
    }
};

#define LAUD_PATCH_CONV3X3_BODY(CORE)                                                                              \
    const int T = stride * (S - 1) + 3;                                                                            \
    const int cinG = C1 / groups;                                                                                  \
    const int coutG = C2 / groups;                                                                                 \
    const int g = blockIdx.z;                                                                                      \
    const int K = cinG * 9;                                                                                        \
    LaudPatch3x3Loader loader{in, C1, T, S, stride, g * cinG};                                                     \
    LaudPatchReluEpilogue epi{b2, out, C2, S, g * coutG};                                                          \
    CORE(w2 + (long long)g * coutG * K, K, coutG, P * S * S, K, loader, epi);

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_patch_conv3x3_relu_f32(const float* __restrict__ in, int P, int C1, int S, int stride, int groups,
                                const float* __restrict__ w2, const float* __restrict__ b2, int C2,
                                float* __restrict__ out) {
    LAUD_PATCH_CONV3X3_BODY(laud_gemm_f32)
}

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_patch_conv3x3_relu_tc(const float* __restrict__ in, int P, int C1, int S, int stride, int groups,
                               const float* __restrict__ w2, const float* __restrict__ b2, int C2,
                               float* __restrict__ out) {
    LAUD_PATCH_CONV3X3_BODY(laud_gemm_tc_or_f32)
}

// ---------------------------------------------------------------------------------------------------------------------
// 3) conv3 1x1 + bias fused with scatter-add into the identity and ReLU.
//    in (P, C2, S, S); w3 (Cout, C2); b3 (Cout); identity, out (B, Cout, Ho, Wo). out may alias identity.
//    out[b, m, i*S+oy, j*S+ox] = ReLU(identity[...] + b3[m] + sum_c w3[m, c] in[p, c, oy, ox]) for positions inside
//    the image. M = Cout, N = P*S*S, K = C2.
// ---------------------------------------------------------------------------------------------------------------------

struct LaudPatch1x1Loader {
    const float* in;
    int C2, S;
    struct Column {
        int base;
        bool valid;
    };
    __device__ Column column(int n, int N) const {
        Column c;
        c.valid = n < N;
        c.base = 0;
        if (c.valid) {
            const int ss = S * S;
            const int p = n / ss;
            const int r = n - p * ss;
            c.base = p * C2 * ss + r;
        }
        return c;
    }
    __device__ float load(const Column& c, int k) const { return in[c.base + k * S * S]; }
};

struct LaudScatterResidualEpilogue {
    const float* bias;
    const int* patches;
    const float* identity;
    float* out;
    int Cout, Ho, Wo, S;
    __device__ void store(int m, int n, float acc) const {
        const int ss = S * S;
        const int p = n / ss;
        const int r = n - p * ss;
        const int oy = r / S;
        const int ox = r - oy * S;
        const int y = patches[3 * p + 1] * S + oy;
        const int xx = patches[3 * p + 2] * S + ox;
        if (y < Ho && xx < Wo) {
            const int idx = ((patches[3 * p] * Cout + m) * Ho + y) * Wo + xx;
            out[idx] = fmaxf(identity[idx] + acc + bias[m], 0.0f);
        }
    }
};

#define LAUD_PATCH_CONV1X1_SCATTER_BODY(CORE)                                                                      \
    LaudPatch1x1Loader loader{in, C2, S};                                                                          \
    LaudScatterResidualEpilogue epi{b3, patches, identity, out, Cout, Ho, Wo, S};                                  \
    CORE(w3, C2, Cout, P * S * S, C2, loader, epi);

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_patch_conv1x1_scatter_relu_f32(const float* __restrict__ in, const int* __restrict__ patches, int P, int C2,
                                        int S, const float* __restrict__ w3, const float* __restrict__ b3, int Cout,
                                        const float* identity, int Ho, int Wo, float* out) {
    LAUD_PATCH_CONV1X1_SCATTER_BODY(laud_gemm_f32)
}

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_patch_conv1x1_scatter_relu_tc(const float* __restrict__ in, const int* __restrict__ patches, int P, int C2,
                                       int S, const float* __restrict__ w3, const float* __restrict__ b3, int Cout,
                                       const float* identity, int Ho, int Wo, float* out) {
    LAUD_PATCH_CONV1X1_SCATTER_BODY(laud_gemm_tc_or_f32)
}

// ---------------------------------------------------------------------------------------------------------------------
// 4) Dense convolution (stem 7x7/2, downsample 1x1/2, dense 1x1 and 3x3, fully connected head as a 1x1 conv on
//    (B, K, 1, 1)): y = act(conv(x, w, stride, pad, groups) + bias [+ residual]).
//    x (B, Cin, H, W); w (Cout, Cin/g, kh, kw); bias (Cout) or null; residual (B, Cout, Ho, Wo) or null;
//    y (B, Cout, Ho, Wo). Per group: M = Cout/g, N = B*Ho*Wo, K = (Cin/g)*kh*kw; grid.z = g.
// ---------------------------------------------------------------------------------------------------------------------

struct LaudConvLoader {
    const float* x;
    int Cin, H, W, kh, kw, stride, pad, Ho, Wo, cbase;
    struct Column {
        int base;  // offset of (b, cbase, 0, 0)
        int y0;
        int x0;
        bool valid;
    };
    __device__ Column column(int n, int N) const {
        Column c;
        c.valid = n < N;
        c.base = 0;
        c.y0 = 0;
        c.x0 = 0;
        if (c.valid) {
            const int hw = Ho * Wo;
            const int b = n / hw;
            const int r = n - b * hw;
            const int oy = r / Wo;
            const int ox = r - oy * Wo;
            c.base = (b * Cin + cbase) * H * W;
            c.y0 = oy * stride - pad;
            c.x0 = ox * stride - pad;
        }
        return c;
    }
    __device__ float load(const Column& c, int k) const {
        const int kk = kh * kw;
        const int ci = k / kk;
        const int r = k - ci * kk;
        const int ky = r / kw;
        const int kx = r - ky * kw;
        const int y = c.y0 + ky;
        const int xx = c.x0 + kx;
        return (y >= 0 && y < H && xx >= 0 && xx < W) ? x[c.base + (ci * H + y) * W + xx] : 0.0f;
    }
};

struct LaudConvEpilogue {
    const float* bias;
    const float* residual;
    float* y;
    int Cout, Ho, Wo, relu, mbase;
    __device__ void store(int m, int n, float acc) const {
        const int hw = Ho * Wo;
        const int b = n / hw;
        const int r = n - b * hw;
        const int co = mbase + m;
        const int idx = (b * Cout + co) * hw + r;
        float v = acc;
        if (bias != nullptr) {
            v += bias[co];
        }
        if (residual != nullptr) {
            v += residual[idx];
        }
        y[idx] = relu ? fmaxf(v, 0.0f) : v;
    }
};

#define LAUD_CONV2D_BODY(CORE)                                                                                     \
    const int cinG = Cin / groups;                                                                                 \
    const int coutG = Cout / groups;                                                                               \
    const int g = blockIdx.z;                                                                                      \
    const int K = cinG * kh * kw;                                                                                  \
    LaudConvLoader loader{x, Cin, H, W, kh, kw, stride, pad, Ho, Wo, g * cinG};                                    \
    LaudConvEpilogue epi{bias, residual, y, Cout, Ho, Wo, relu, g * coutG};                                        \
    CORE(w + (long long)g * coutG * K, K, coutG, B * Ho * Wo, K, loader, epi);

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_conv2d_f32(const float* __restrict__ x, int B, int Cin, int H, int W, const float* __restrict__ w,
                    const float* bias, int Cout, int kh, int kw, int stride, int pad, int groups,
                    const float* residual, int relu, float* y, int Ho, int Wo) {
    LAUD_CONV2D_BODY(laud_gemm_f32)
}

extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_conv2d_tc(const float* __restrict__ x, int B, int Cin, int H, int W, const float* __restrict__ w,
                   const float* bias, int Cout, int kh, int kw, int stride, int pad, int groups, const float* residual,
                   int relu, float* y, int Ho, int Wo) {
    LAUD_CONV2D_BODY(laud_gemm_tc_or_f32)
}

// ---------------------------------------------------------------------------------------------------------------------
// 5) Element-wise and data-movement kernels (1-D grid-stride loops, 256 threads per block).
// ---------------------------------------------------------------------------------------------------------------------

// out[b, c, y, x] = ReLU(identity[b, c, y, x]) where cells[b, c / (C / gs), y / S, x / S] == 0; other elements are
// left untouched. identity, out (B, C, H, W); cells (B, gs, m, m) int32, gs dividing C, m * S >= max(H, W). out may
// alias identity. A layer gate is m = 1, S >= max(H, W).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_fill_inactive_relu(const float* identity, const int* __restrict__ cells, int B, int C, int H, int W, int S,
                            int m, int gs, float* out) {
    const int total = B * C * H * W;
    const int perGroup = C / gs;
    for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
        const int xx = idx % W;
        const int y = (idx / W) % H;
        const int c = (idx / (H * W)) % C;
        const int b = idx / (C * H * W);
        const int q = c / perGroup;
        if (cells[((b * gs + q) * m + y / S) * m + xx / S] == 0) {
            out[idx] = fmaxf(identity[idx], 0.0f);
        }
    }
}

// Layer skipping, gather: dst[i, e] = src[idx[i], e] for e < perSample. src (B, perSample); dst (n, perSample).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_gather_samples(const float* __restrict__ src, const int* __restrict__ idx, int n, int perSample,
                        float* __restrict__ dst) {
    const int total = n * perSample;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < total; t += gridDim.x * blockDim.x) {
        const int i = t / perSample;
        const int e = t - i * perSample;
        dst[t] = src[idx[i] * perSample + e];
    }
}

// Layer skipping, scatter: out[idx[i], e] = ReLU(identity[idx[i], e] + branch[i, e]).
// branch (n, perSample); identity, out (B, perSample); out may alias identity.
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_scatter_samples_residual_relu(const float* __restrict__ branch, const int* __restrict__ idx, int n,
                                       int perSample, const float* identity, float* out) {
    const int total = n * perSample;
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < total; t += gridDim.x * blockDim.x) {
        const int i = t / perSample;
        const int e = t - i * perSample;
        const int o = idx[i] * perSample + e;
        out[o] = fmaxf(identity[o] + branch[t], 0.0f);
    }
}

// Max pooling with implicit -infinity padding: y[b, c, oy, ox] = max over the k x k window at
// (oy*stride - pad, ox*stride - pad) of the positions inside the image. x (B, C, H, W); y (B, C, Ho, Wo).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_maxpool2d(const float* __restrict__ x, int B, int C, int H, int W, int k, int stride, int pad,
                   float* __restrict__ y, int Ho, int Wo) {
    const int total = B * C * Ho * Wo;
    for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
        const int ox = idx % Wo;
        const int oy = (idx / Wo) % Ho;
        const int bc = idx / (Ho * Wo);
        const float* plane = x + (long long)bc * H * W;
        float best = __int_as_float(0xff800000);
        for (int ky = 0; ky < k; ++ky) {
            const int yy = oy * stride - pad + ky;
            if (yy < 0 || yy >= H) {
                continue;
            }
            for (int kx = 0; kx < k; ++kx) {
                const int xx = ox * stride - pad + kx;
                if (xx >= 0 && xx < W) {
                    best = fmaxf(best, plane[yy * W + xx]);
                }
            }
        }
        y[idx] = best;
    }
}

// Global average pooling: y[r] = mean over e < hw of x[r, e], one warp per row r. x (rows, hw); y (rows).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_global_avg_pool(const float* __restrict__ x, int rows, int hw, float* __restrict__ y) {
    const int lane = threadIdx.x % 32;
    const int warpsPerBlock = blockDim.x / 32;
    for (int r = blockIdx.x * warpsPerBlock + threadIdx.x / 32; r < rows; r += gridDim.x * warpsPerBlock) {
        const float* row = x + (long long)r * hw;
        float s = 0.0f;
        for (int e = lane; e < hw; e += 32) {
            s += row[e];
        }
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) {
            s += __shfl_down_sync(0xffffffffu, s, off);
        }
        if (lane == 0) {
            y[r] = s / (float)hw;
        }
    }
}

// Sum of a warp's values, returned to every lane.
__device__ __forceinline__ float laud_warp_sum(float v) {
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, off);
    }
    return v;
}

__device__ __forceinline__ float laud_sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

// y[i] = max(x[i], 0) for i < n. y may alias x.
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_relu(const float* x, int n, float* y) {
    for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += gridDim.x * blockDim.x) {
        y[i] = fmaxf(x[i], 0.0f);
    }
}

// Average pooling over non-overlapping k x k windows (stride k, no padding):
// y[b, c, oy, ox] = (1 / k^2) sum_{ky, kx < k} x[b, c, oy k + ky, ox k + kx]. x (B, C, H, W), k dividing H and W;
// y (B, C, H / k, W / k).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_avgpool2d(const float* __restrict__ x, int B, int C, int H, int W, int k, float* __restrict__ y) {
    const int Ho = H / k;
    const int Wo = W / k;
    const int total = B * C * Ho * Wo;
    const float inv = 1.0f / (float)(k * k);
    for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
        const int ox = idx % Wo;
        const int oy = (idx / Wo) % Ho;
        const int bc = idx / (Ho * Wo);
        const float* window = x + ((long long)bc * H + oy * k) * W + ox * k;
        float s = 0.0f;
        for (int ky = 0; ky < k; ++ky) {
            for (int kx = 0; kx < k; ++kx) {
                s += window[ky * W + kx];
            }
        }
        y[idx] = s * inv;
    }
}

// Per-channel scaling: y[r, e] = h[r, e] * f(scale[r]) for rows r = b C + c (rows = B C) and e < hw, with f the
// identity (sigmoid = 0) or the sigmoid (sigmoid != 0). y may alias h.
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_scale_channels(const float* h, int rows, int hw, const float* __restrict__ scale, int sigmoid, float* y) {
    const int total = rows * hw;
    for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
        const float s = scale[idx / hw];
        y[idx] = h[idx] * (sigmoid ? laud_sigmoid(s) : s);
    }
}

// Mean over the computed positions M2 (positions any mask group keeps), one warp per row r = b C + c:
// y[r] = sum_{p in M2[b]} h[r, p] / max(|M2[b]|, 1). h (B, C, H, W); cells (B, gs, m, m) int32, m * S >= max(H, W);
// y (B C).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_masked_mean(const float* __restrict__ h, int B, int C, int H, int W, const int* __restrict__ cells, int gs,
                     int m, int S, float* __restrict__ y) {
    const int lane = threadIdx.x % 32;
    const int warpsPerBlock = blockDim.x / 32;
    const int rows = B * C;
    const int hw = H * W;
    for (int r = blockIdx.x * warpsPerBlock + threadIdx.x / 32; r < rows; r += gridDim.x * warpsPerBlock) {
        const int b = r / C;
        const float* row = h + (long long)r * hw;
        const int* sample = cells + (long long)b * gs * m * m;
        float s = 0.0f;
        float count = 0.0f;
        for (int e = lane; e < hw; e += 32) {
            const int cell = (e / W / S) * m + (e % W) / S;
            bool on = false;
            for (int q = 0; q < gs && !on; ++q) {
                on = sample[q * m * m + cell] != 0;
            }
            if (on) {
                s += row[e];
                count += 1.0f;
            }
        }
        s = laud_warp_sum(s);
        count = laud_warp_sum(count);
        if (lane == 0) {
            y[r] = s / fmaxf(count, 1.0f);
        }
    }
}

// First index in [0, P) whose patch sample is >= b (patches are listed in row-major mask order, sample-major).
__device__ __forceinline__ int laud_first_patch_of(const int* __restrict__ patches, int P, int b) {
    int lo = 0;
    int hi = P;
    while (lo < hi) {
        const int mid = (lo + hi) / 2;
        if (patches[3 * mid] < b) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

// Per sample, the mean of the patch outputs over its computed output positions, one warp per row r = b C + c:
// y[r] = sum_{p of b, (oy, ox) inside} in[p, c, oy, ox] / count_b, 0 for a sample without patches.
// in (P, C, S, S); patches (P, 3) sorted by sample; output map Ho x Wo; y (B C).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_patch_means(const float* __restrict__ in, const int* __restrict__ patches, int P, int C, int S, int Ho,
                     int Wo, int B, float* __restrict__ y) {
    const int lane = threadIdx.x % 32;
    const int warpsPerBlock = blockDim.x / 32;
    const int rows = B * C;
    const int ss = S * S;
    for (int r = blockIdx.x * warpsPerBlock + threadIdx.x / 32; r < rows; r += gridDim.x * warpsPerBlock) {
        const int b = r / C;
        const int c = r - b * C;
        const int first = laud_first_patch_of(patches, P, b);
        const int last = laud_first_patch_of(patches, P, b + 1);
        float s = 0.0f;
        float count = 0.0f;
        for (int e = lane; e < (last - first) * ss; e += 32) {
            const int p = first + e / ss;
            const int pos = e % ss;
            const int yy = patches[3 * p + 1] * S + pos / S;
            const int xx = patches[3 * p + 2] * S + pos % S;
            if (yy < Ho && xx < Wo) {
                s += in[((long long)p * C + c) * ss + pos];
                count += 1.0f;
            }
        }
        s = laud_warp_sum(s);
        count = laud_warp_sum(count);
        if (lane == 0) {
            y[r] = s / fmaxf(count, 1.0f);
        }
    }
}

// Squeeze-excitation on patch outputs: y[p, c, :, :] = in[p, c, :, :] * sigmoid(scale[b_p C + c]) with b_p the
// patch's sample. in, y (P, C, S, S), y may alias in; patches (P, 3); scale (B C).
extern "C" __global__ void __launch_bounds__(LAUD_THREADS)
    laud_scale_patches_sigmoid(const float* in, const int* __restrict__ patches, int P, int C, int S,
                               const float* __restrict__ scale, float* y) {
    const int ss = S * S;
    const int total = P * C * ss;
    for (int idx = blockIdx.x * blockDim.x + threadIdx.x; idx < total; idx += gridDim.x * blockDim.x) {
        const int pc = idx / ss;
        const int p = pc / C;
        const int c = pc - p * C;
        y[idx] = in[idx] * laud_sigmoid(scale[patches[3 * p] * C + c]);
    }
}
