#include "kbench.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
// logsumexp over the middle dimension of [B, R, C]: per batch, a C-wide running max,
// then a C-wide sum of exp(x - max), both with contiguous, vectorised inner loops.
#include <vector>

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].ndim != 3) return 1;
    const int64_t B = in[0].shape[0], R = in[0].shape[1], C = in[0].shape[2];
    const float *x = static_cast<const float *>(in[0].data);
    float *y = static_cast<float *>(out[0].data);
#pragma omp parallel for schedule(static)
    for (int64_t b = 0; b < B; ++b) {
        std::vector<float> m(C, -INFINITY), s(C, 0.0f);
        for (int64_t r = 0; r < R; ++r) {
            const float *xr = x + (b * R + r) * C;
#pragma omp simd
            for (int64_t c = 0; c < C; ++c) m[c] = std::max(m[c], xr[c]);
        }
        for (int64_t r = 0; r < R; ++r) {
            const float *xr = x + (b * R + r) * C;
#pragma omp simd
            for (int64_t c = 0; c < C; ++c) s[c] += std::exp(xr[c] - m[c]);
        }
        for (int64_t c = 0; c < C; ++c) y[b * C + c] = m[c] + std::log(s[c]);
    }
    return 0;
}
