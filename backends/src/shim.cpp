// Compiled into every cpu kernel library by the harness: the worker calls this guard,
// never kb_forward directly, so that a C++ exception cannot cross into the worker.
#include "kbench.h"

#include <cstdio>
#include <exception>
#include <new>

extern "C" int kbench_guarded_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    try {
        return kb_forward(in, n_in, out, n_out);
    } catch (const std::bad_alloc &) {
        std::fputs("kbench: the kernel threw std::bad_alloc (out of memory)\n", stderr);
        return -1001;
    } catch (const std::exception &e) {
        std::fprintf(stderr, "kbench: the kernel threw an exception: %s\n", e.what());
        return -1000;
    } catch (...) {
        std::fputs("kbench: the kernel threw a non-standard exception\n", stderr);
        return -1000;
    }
}
