#include "kbench.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
// Conv1d, stride 1, zero padding P: each (batch, out channel) row starts from the bias;
// every (in channel, tap) adds a shifted input row, clipped at the borders, vectorised.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1 || in[0].ndim != 3) return 1;
    const int64_t N = in[0].shape[0], Ci = in[0].shape[1], L = in[0].shape[2];
    const int64_t Co = in[1].shape[0], K = in[1].shape[2], P = 1;
    const int64_t OL = out[0].shape[2];
    const float *x = static_cast<const float *>(in[0].data);
    const float *w = static_cast<const float *>(in[1].data);
    const float *b = static_cast<const float *>(in[2].data);
    float *y = static_cast<float *>(out[0].data);
#pragma omp parallel for collapse(2) schedule(static)
    for (int64_t n = 0; n < N; ++n)
        for (int64_t co = 0; co < Co; ++co) {
            float *__restrict yr = y + (n * Co + co) * OL;
            for (int64_t o = 0; o < OL; ++o) yr[o] = b[co];
            for (int64_t ci = 0; ci < Ci; ++ci) {
                const float *__restrict xr = x + (n * Ci + ci) * L;
                for (int64_t k = 0; k < K; ++k) {
                    const float wk = w[(co * Ci + ci) * K + k];
                    const int64_t shift = k - P;  // input index = o + shift
                    const int64_t lo = std::max<int64_t>(0, -shift);
                    const int64_t hi = std::min<int64_t>(OL, L - shift);
#pragma omp simd
                    for (int64_t o = lo; o < hi; ++o) yr[o] += wk * xr[o + shift];
                }
            }
        }
    return 0;
}
