#include "kbench.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
// A sequential scan per row (rows in parallel), dividing the running sum by the count.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].ndim != 2) return 1;
    const int64_t R = in[0].shape[0], C = in[0].shape[1];
    const float *x = static_cast<const float *>(in[0].data);
    float *y = static_cast<float *>(out[0].data);
#pragma omp parallel for schedule(static)
    for (int64_t r = 0; r < R; ++r) {
        float acc = 0.0f;
        for (int64_t c = 0; c < C; ++c) {
            acc += x[r * C + c];
            y[r * C + c] = acc / static_cast<float>(c + 1);
        }
    }
    return 0;
}
