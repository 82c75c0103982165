#include "kbench.h"

#include <cstdint>

// y = 0.5 * tanh(x @ w^T + b), x [M, K], w [N, K] (nn.Linear's layout). A shared-memory
// tiled GEMM with the epilogue fused: each 16x16 block stages a 16-wide slice of K from 16
// rows of x and 16 rows of w, each thread accumulates one output in a register, then adds
// the bias, applies tanh and the scale, and writes once.
constexpr int TILE = 16;
constexpr float SCALE = 0.5f;  // the module's scale (from get_init_inputs)

__global__ void linear_tanh_scale_kernel(const float *__restrict__ x, const float *__restrict__ w,
                                         const float *__restrict__ b, float *__restrict__ y,
                                         int64_t M, int64_t N, int64_t K, float scale) {
    __shared__ float xs[TILE][TILE];      // xs[r][k] = x[row0 + r, k0 + k]
    __shared__ float ws[TILE][TILE + 1];  // ws[c][k] = w[col0 + c, k0 + k]; padded against
                                          // bank conflicts when a warp reads ws[tx][kk]
    const int tx = threadIdx.x, ty = threadIdx.y;
    const int64_t row0 = static_cast<int64_t>(blockIdx.y) * TILE;
    const int64_t col0 = static_cast<int64_t>(blockIdx.x) * TILE;
    const int64_t row = row0 + ty, col = col0 + tx;
    float acc = 0.0f;
    for (int64_t k0 = 0; k0 < K; k0 += TILE) {
        // Both tiles are read along K, the contiguous dimension of x and w: coalesced.
        // Out-of-range elements load as 0 so the inner loop needs no bounds checks.
        const int64_t k = k0 + tx;
        xs[ty][tx] = (row < M && k < K) ? x[row * K + k] : 0.0f;
        ws[ty][tx] = (col0 + ty < N && k < K) ? w[(col0 + ty) * K + k] : 0.0f;
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TILE; ++kk) acc += xs[ty][kk] * ws[tx][kk];
        __syncthreads();  // the tiles are overwritten on the next step
    }
    if (row < M && col < N) y[row * N + col] = scale * tanhf(acc + b[col]);
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1 || in[0].ndim != 2 || in[1].ndim != 2) return 1;
    const int64_t M = in[0].shape[0], K = in[0].shape[1], N = in[1].shape[0];
    if (in[1].shape[1] != K || kb_numel(&in[2]) != N) return 1;
    if (M == 0 || N == 0) return 0;  // nothing to write; a zero-sized grid is a launch error
    const dim3 block(TILE, TILE);
    const dim3 grid(static_cast<unsigned>((N + TILE - 1) / TILE),
                    static_cast<unsigned>((M + TILE - 1) / TILE));
    if (grid.y > 65535) return 1;  // gridDim.y limit
    linear_tanh_scale_kernel<<<grid, block>>>(
        static_cast<const float *>(in[0].data), static_cast<const float *>(in[1].data),
        static_cast<const float *>(in[2].data), static_cast<float *>(out[0].data), M, N, K,
        SCALE);
    return cudaGetLastError() != cudaSuccess ? 1 : 0;
}
