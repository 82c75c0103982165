#include "kbench.h"

#include <cmath>
#include <cstdint>
#include <vector>

// softmax(Q K^T / sqrt(d)) per batch entry: one (batch, query row) per loop iteration,
// its scores written straight into the output row, then a max-subtracted softmax in place.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].ndim != 3 || in[1].ndim != 3) return 1;
    const int64_t B = in[0].shape[0], Lq = in[0].shape[1], D = in[0].shape[2];
    const int64_t Lk = in[1].shape[1];
    if (in[1].shape[0] != B || in[1].shape[2] != D) return 1;
    const float *q = static_cast<const float *>(in[0].data);
    const float *k = static_cast<const float *>(in[1].data);
    float *w = static_cast<float *>(out[0].data);
    const float scale = 1.0f / std::sqrt(static_cast<float>(D));
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < B * Lq; ++r) {
        const int64_t b = r / Lq;
        const float *qr = q + r * D;
        float *wr = w + r * Lk;
        float mx = -INFINITY;
        for (int64_t j = 0; j < Lk; ++j) {
            const float *kj = k + (b * Lk + j) * D;
            float s = 0.0f;
#pragma omp simd reduction(+ : s)
            for (int64_t d = 0; d < D; ++d) s += qr[d] * kj[d];
            wr[j] = s * scale;
            mx = std::fmax(mx, wr[j]);
        }
        float sum = 0.0f;
        for (int64_t j = 0; j < Lk; ++j) {
            wr[j] = std::exp(wr[j] - mx);
            sum += wr[j];
        }
        const float inv = 1.0f / sum;
#pragma omp simd
        for (int64_t j = 0; j < Lk; ++j) wr[j] *= inv;
    }
    return 0;
}
