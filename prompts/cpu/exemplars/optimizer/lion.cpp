#include "kbench.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
// One fused elementwise pass: interpolate the momentum, take its sign, apply the update
// with decoupled weight decay.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1) return 1;
    const float *p = static_cast<const float *>(in[0].data);
    const float *g = static_cast<const float *>(in[1].data);
    const float *m = static_cast<const float *>(in[2].data);
    float *y = static_cast<float *>(out[0].data);
    const int64_t n = kb_numel(&in[0]);
    // 1 - beta1 is taken as PyTorch takes it: computed in double, then rounded (0.1f,
    // not 1.0f - 0.9f).
    const float lr = 1e-2f, beta1 = 0.9f, one_minus_beta1 = 0.1f, wd = 0.1f;
#pragma omp parallel for simd schedule(static)
    for (int64_t i = 0; i < n; ++i) {
        const float c = beta1 * m[i] + one_minus_beta1 * g[i];
        const float sign = static_cast<float>((c > 0.0f) - (c < 0.0f));
        y[i] = p[i] - lr * (sign + wd * p[i]);
    }
    return 0;
}
