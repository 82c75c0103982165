#include "kbench.h"

#include <cstdint>

// softmax(Q K^T / sqrt(d)) per batch entry: one block per (batch, query row). The query row
// is staged in shared memory, each thread computes the scores of a strided set of keys into
// the output row, then block-wide max and sum reductions (warp shuffles, then shared memory)
// normalise the row in place.
constexpr int THREADS = 256;
constexpr int MAX_D = 1024;

__device__ __forceinline__ float warp_max(float v) {
    for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
    return v;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
    return v;
}

// Reduces v over the block (max when is_max, else sum); every thread gets the result.
__device__ float block_reduce(float v, bool is_max, float *scratch) {
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    v = is_max ? warp_max(v) : warp_sum(v);
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    if (warp == 0) {
        float t = lane < THREADS / 32 ? scratch[lane] : (is_max ? -INFINITY : 0.0f);
        t = is_max ? warp_max(t) : warp_sum(t);
        if (lane == 0) scratch[0] = t;
    }
    __syncthreads();
    const float result = scratch[0];
    __syncthreads();
    return result;
}

__global__ void attention_weights_kernel(const float *__restrict__ q, const float *__restrict__ k,
                                         float *__restrict__ w, int64_t Lq, int64_t Lk, int64_t D,
                                         float scale) {
    __shared__ float qrow[MAX_D];
    __shared__ float scratch[THREADS / 32];
    const int64_t r = blockIdx.x, b = r / Lq;
    for (int64_t d = threadIdx.x; d < D; d += blockDim.x) qrow[d] = q[r * D + d];
    __syncthreads();
    float *wr = w + r * Lk;
    float mx = -INFINITY;
    for (int64_t j = threadIdx.x; j < Lk; j += blockDim.x) {
        const float *kj = k + (b * Lk + j) * D;
        float s = 0.0f;
        for (int64_t d = 0; d < D; ++d) s += qrow[d] * kj[d];
        s *= scale;
        wr[j] = s;
        mx = fmaxf(mx, s);
    }
    mx = block_reduce(mx, true, scratch);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < Lk; j += blockDim.x) {
        const float e = __expf(wr[j] - mx);
        wr[j] = e;
        sum += e;
    }
    const float inv = 1.0f / block_reduce(sum, false, scratch);
    for (int64_t j = threadIdx.x; j < Lk; j += blockDim.x) wr[j] *= inv;
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].ndim != 3 || in[1].ndim != 3) return 1;
    const int64_t B = in[0].shape[0], Lq = in[0].shape[1], D = in[0].shape[2];
    const int64_t Lk = in[1].shape[1];
    if (in[1].shape[0] != B || in[1].shape[2] != D || D > MAX_D || B * Lq == 0) return 1;
    attention_weights_kernel<<<static_cast<unsigned>(B * Lq), THREADS>>>(
        static_cast<const float *>(in[0].data), static_cast<const float *>(in[1].data),
        static_cast<float *>(out[0].data), Lq, Lk, D, 1.0f / sqrtf(static_cast<float>(D)));
    return cudaGetLastError() != cudaSuccess ? 1 : 0;
}
