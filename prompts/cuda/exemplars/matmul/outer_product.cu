#include "kbench.h"

#include <cstdint>

// C[i, j] = a[i] * b[j]: one thread per output. Consecutive threads write consecutive j
// (coalesced stores) and read consecutive b[j]; a[i] is the same for a whole row (a
// broadcast). Both vectors are tiny and stay in cache, so the kernel runs at store bandwidth.
__global__ void outer_kernel(const float *__restrict__ a, const float *__restrict__ b,
                             float *__restrict__ c, int64_t M, int64_t N) {
    const int64_t k = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k < M * N) c[k] = a[k / N] * b[k % N];
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].ndim != 1 || in[1].ndim != 1) return 1;
    const int64_t M = in[0].shape[0], N = in[1].shape[0];
    if (kb_numel(&out[0]) != M * N) return 1;
    const int64_t n = M * N;
    if (n == 0) return 0;  // a zero-sized grid is a launch error
    constexpr int threads = 256;
    outer_kernel<<<static_cast<unsigned>((n + threads - 1) / threads), threads>>>(
        static_cast<const float *>(in[0].data), static_cast<const float *>(in[1].data),
        static_cast<float *>(out[0].data), M, N);
    return cudaGetLastError() != cudaSuccess ? 1 : 0;
}
