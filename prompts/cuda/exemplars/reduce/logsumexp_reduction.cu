#include "kbench.h"

#include <cstdint>

// logsumexp over the middle dimension of [B, R, C] -> [B, C]. A 32x8 block owns 32
// neighbouring columns of one batch: threadIdx.x picks the column (coalesced loads along C),
// threadIdx.y picks every 8th row. Each thread keeps an online (max, sum of exp(x - max))
// pair, one read of x, and the 8 partial pairs per column are merged in shared memory.
constexpr int COLS = 32, SLICES = 8;

// Merges the pair (m2, s2) into (m, s): both are (max, sum of exp(x - max)) of a set of x.
__device__ __forceinline__ void lse_merge(float &m, float &s, float m2, float s2) {
    if (m2 == -INFINITY) return;  // the other set is empty (or all -inf): nothing to add
    if (m2 > m) {
        s = s * expf(m - m2) + s2;  // rescale to the new max (s is 0 while m is -inf)
        m = m2;
    } else {
        s += s2 * expf(m2 - m);
    }
}

__global__ void logsumexp_kernel(const float *__restrict__ x, float *__restrict__ y, int64_t R,
                                 int64_t C, int64_t col_tiles) {
    __shared__ float sm_m[SLICES][COLS], sm_s[SLICES][COLS];
    const int64_t b = blockIdx.x / col_tiles;
    const int64_t c = (blockIdx.x % col_tiles) * COLS + threadIdx.x;
    float m = -INFINITY, s = 0.0f;
    if (c < C) {
        const float *xb = x + b * R * C + c;
        for (int64_t r = threadIdx.y; r < R; r += SLICES) lse_merge(m, s, xb[r * C], 1.0f);
    }
    sm_m[threadIdx.y][threadIdx.x] = m;
    sm_s[threadIdx.y][threadIdx.x] = s;
    __syncthreads();
    if (threadIdx.y == 0 && c < C) {
        for (int k = 1; k < SLICES; ++k)
            lse_merge(m, s, sm_m[k][threadIdx.x], sm_s[k][threadIdx.x]);
        y[b * C + c] = m + logf(s);
    }
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].ndim != 3) return 1;
    const int64_t B = in[0].shape[0], R = in[0].shape[1], C = in[0].shape[2];
    if (kb_numel(&out[0]) != B * C) return 1;
    if (B == 0 || C == 0) return 0;  // nothing to write; a zero-sized grid is a launch error
    const int64_t col_tiles = (C + COLS - 1) / COLS;
    logsumexp_kernel<<<static_cast<unsigned>(B * col_tiles), dim3(COLS, SLICES)>>>(
        static_cast<const float *>(in[0].data), static_cast<float *>(out[0].data), R, C,
        col_tiles);
    return cudaGetLastError() != cudaSuccess ? 1 : 0;
}
