// Compiled into every kernel library by the harness: the worker calls this guard, never
// kb_forward directly, so that a C++ exception cannot cross into the worker. An emulator's
// guard includes this file after defining KBENCH_BEFORE_CALL (run before kb_forward) and
// KBENCH_EXTRA_CATCH (catch clauses tried first).
#include "kbench.h"

#include <cstdio>
#include <exception>
#include <new>

#ifndef KBENCH_BEFORE_CALL
#define KBENCH_BEFORE_CALL
#endif
#ifndef KBENCH_EXTRA_CATCH
#define KBENCH_EXTRA_CATCH
#endif

extern "C" __attribute__((visibility("default"))) int
kbench_guarded_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    KBENCH_BEFORE_CALL
    try {
        return kb_forward(in, n_in, out, n_out);
    }
    KBENCH_EXTRA_CATCH
    catch (const std::bad_alloc &) {
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
