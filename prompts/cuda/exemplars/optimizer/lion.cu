#include "kbench.h"

#include <cstdint>

// One fused elementwise pass: interpolate the momentum, take its sign, apply the update
// with decoupled weight decay. The task is checked to 1e-5 (the update itself is about
// 1e-2), so the module's constants and order of operations are kept as they are.
constexpr float LR = 1e-2f, BETA1 = 0.9f, WD = 0.1f;
// 1 - beta1 as PyTorch takes it: computed in double, then rounded (0.1f, not 1.0f - 0.9f).
constexpr float ONE_MINUS_BETA1 = 0.1f;

__global__ void lion_kernel(const float *__restrict__ p, const float *__restrict__ g,
                            const float *__restrict__ m, float *__restrict__ y, int64_t n) {
    const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const float c = BETA1 * m[i] + ONE_MINUS_BETA1 * g[i];
    const float sign = static_cast<float>((c > 0.0f) - (c < 0.0f));  // torch.sign: 0 at 0
    y[i] = p[i] - LR * (sign + WD * p[i]);
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1) return 1;
    const int64_t n = kb_numel(&in[0]);
    if (kb_numel(&in[1]) != n || kb_numel(&in[2]) != n || kb_numel(&out[0]) != n) return 1;
    if (n == 0) return 0;  // a zero-sized grid is a launch error
    constexpr int threads = 256;
    lion_kernel<<<static_cast<unsigned>((n + threads - 1) / threads), threads>>>(
        static_cast<const float *>(in[0].data), static_cast<const float *>(in[1].data),
        static_cast<const float *>(in[2].data), static_cast<float *>(out[0].data), n);
    return cudaGetLastError() != cudaSuccess ? 1 : 0;
}
