// Compiled into every npu-emu kernel library by the harness: before each call it registers
// the call's tensors as the only global memory the kernel may touch and resets the cost
// model; a broken rule of the emulated chip returns the status that names it
// (-1100 - rule); the rest is the common guard (kbench_shim.cpp).
#include "kbench.h"
#include "kernel_operator.h"

namespace {

/// Bytes of one element of a kbench dtype.
int64_t element_bytes(int32_t dtype) {
    switch (dtype) {
    case KB_F32: case KB_I32: return 4;
    case KB_F16: case KB_BF16: return 2;
    case KB_I64: return 8;
    default: return 1;
    }
}

void register_tensors(const kb_tensor *t, int n) {
    for (int i = 0; i < n; ++i) {
        const uint8_t *begin = static_cast<const uint8_t *>(t[i].data);
        kb_emu::gm_ranges().push_back({begin, begin + kb_numel(&t[i]) * element_bytes(t[i].dtype)});
    }
}

void prepare(const kb_tensor *in, int n_in, const kb_tensor *out, int n_out) {
    kb_emu::gm_ranges().clear();
    register_tensors(in, n_in);
    register_tensors(out, n_out);
    kb_emu::estimate().store(0.0);
}

} // namespace

/// The estimated seconds of the launches since the last call, and resets them.
extern "C" __attribute__((visibility("default"))) double kb_emu_take_estimate() {
    return kb_emu::estimate().exchange(0.0);
}

#define KBENCH_BEFORE_CALL prepare(in, n_in, out, n_out);
#define KBENCH_EXTRA_CATCH                                                                         \
    catch (const kb_emu::RuleViolation &e) {                                                       \
        std::fprintf(stderr, "kbench: %s\n", e.what());                                            \
        return -1100 - static_cast<int>(e.rule);                                                   \
    }
#include "kbench_shim.cpp"
