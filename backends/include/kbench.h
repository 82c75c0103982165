/*
 * kbench kernel ABI, version 1.
 *
 * Every generated kernel compiles against this header. Tensors are contiguous and
 * row-major. The inputs are the task's forward inputs followed by its parameters (the
 * PyTorch module's state_dict entries), in the task's declared order. The outputs are
 * allocated by the harness with their final shapes before the call; their contents on
 * entry are undefined (the harness fills them with NaN), so a kernel must write every
 * element. Inputs must not be modified. Return 0 on success, anything else on failure.
 *
 * cpu backend: C++17, compiled with -O3 -march=native -fopenmp -shared -fPIC, exporting
 *   extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out);
 */
#ifndef KBENCH_H
#define KBENCH_H

#include <stdint.h>

#define KB_MAX_DIMS 8

/* Element types (kb_tensor.dtype). */
enum kb_dtype {
    KB_F32 = 0,  /* float */
    KB_F16 = 1,  /* IEEE half, as uint16_t bits */
    KB_BF16 = 2, /* bfloat16, as uint16_t bits */
    KB_I64 = 3,  /* int64_t */
    KB_I32 = 4,  /* int32_t */
    KB_BOOL = 5  /* one byte per element, 0 or 1 */
};

/* A contiguous row-major tensor. shape[i] for i >= ndim is 1; a scalar has ndim 0. */
typedef struct {
    void *data;
    int32_t dtype;
    int32_t ndim;
    int64_t shape[KB_MAX_DIMS];
} kb_tensor;

/* Number of elements of t. */
static inline int64_t kb_numel(const kb_tensor *t) {
    int64_t n = 1;
    for (int32_t i = 0; i < t->ndim; ++i) n *= t->shape[i];
    return n;
}

#ifdef __cplusplus
extern "C" {
#endif

/* The entry point every cpu kernel defines. */
int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out);

#ifdef __cplusplus
}
#endif

#endif /* KBENCH_H */
