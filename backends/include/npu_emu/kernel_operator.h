// kernel_operator.h: kbench's own emulation of the Ascend C programming model (the
// npu-emu backend). Kernels written for Ascend C's "direct launch" style compile against
// it with the system C++ compiler and run on the CPU: each block of a launch is an AI
// core, run on a thread; the rules the chip enforces are checked at run time (a broken
// rule stops the launch with a kb_emu::RuleViolation that names it); a cost model counts
// each core's cycles and gives the launch an estimated time.
//
// The chip: Ascend 910B (Atlas A2 training series), vector cores (AIV). Parameters and
// where each comes from:
// - Unified Buffer 192 KiB per vector core: CANN's GetUBSizeInBytes / get_soc_spec for
//   Atlas A2 (AscendC API reference, "GetUBSizeInBytes"; 196,608 bytes).
// - 48 vector cores (24 AI cores, each 1 cube + 2 vector cores, in Atlas A2's separated
//   architecture: CANN "Ascend C programming guide, hardware architecture").
// - Clock 1.65 GHz and the cube's 16x16x16 FP16 MACs per cycle per AI core: together
//   with 24 AI cores they give the ~313-320 TFLOPS FP16 published for the 910B; the
//   clock is the value that makes the published peak consistent (not a published figure).
// - Vector unit 256 bytes per cycle (one 256-byte "repeat" per cycle: 128 FP16 or 64 FP32
//   lanes; CANN "vector computation, repeat and mask").
// - HBM 1.6 TB/s (Atlas 800T A2 spec sheets), shared evenly: each of the 48 vector cores
//   streams at 1/48 of it.
// - DataCopy moves whole 32-byte blocks: its length must be a multiple of 32 bytes
//   (AscendC API reference, "DataCopy": "32-byte aligned"); DataCopyPad takes any length.
//
// The cost model, per block: copy cycles (every byte moved between GM and UB, both
// directions, over the core's bandwidth share: reads and writes share HBM), vector cycles
// (one per 256 bytes of each instruction's operand range, rounded up per instruction),
// scalar cycles (one per GetValue / SetValue). When every queue the block used is
// double-buffered (depth >= 2 with >= 2 buffers), copies and compute overlap: the block
// takes max(copy, vector) + scalar; otherwise copy + vector + scalar. Blocks beyond 48 run
// in waves on the same cores; the launch takes as long as its busiest core.
// Instruction issue, latency and bank conflicts are not modelled.

#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#define __global__
#define __aicore__
#define __gm__
#define GM_ADDR uint8_t *

/// The host's stream handle; the emulator runs every launch synchronously.
using aclrtStream = void *;

using half = _Float16;

namespace kb_emu {

/// The emulated chip.
struct Chip {
    static constexpr uint64_t ub_bytes = 196608;
    static constexpr int vector_cores = 48;
    static constexpr double clock_hz = 1.65e9;
    static constexpr double hbm_bytes_per_s = 1.6e12;
    static constexpr double vector_bytes_per_cycle = 256.0;
    static constexpr uint64_t copy_block_bytes = 32;
    static constexpr int max_block_dim = 65535;
};

/// The rules a kernel can break; each has a status code of its own.
enum class Rule : int {
    UbCapacity = 1,
    CopyAlignment = 2,
    GmBounds = 3,
    LocalBounds = 4,
    QueueOrder = 5,
    QueueDepth = 6,
    BlockDim = 7,
};

inline const char *rule_name(Rule r) {
    switch (r) {
    case Rule::UbCapacity: return "ub_capacity";
    case Rule::CopyAlignment: return "copy_alignment";
    case Rule::GmBounds: return "gm_out_of_bounds";
    case Rule::LocalBounds: return "local_out_of_bounds";
    case Rule::QueueOrder: return "queue_order";
    case Rule::QueueDepth: return "queue_depth";
    case Rule::BlockDim: return "block_dim";
    }
    return "unknown";
}

/// A broken rule: stops the launch.
struct RuleViolation : std::runtime_error {
    Rule rule;
    RuleViolation(Rule r, const std::string &message)
        : std::runtime_error(std::string("npu-emu rule ") + rule_name(r) + ": " + message), rule(r) {}
};

[[noreturn]] inline void violate(Rule r, const std::string &message) { throw RuleViolation(r, message); }

/// Global memory the kernel may touch: the task's tensors, registered before each call.
struct GmRange {
    const uint8_t *begin;
    const uint8_t *end;
};

inline std::vector<GmRange> &gm_ranges() {
    static std::vector<GmRange> ranges;
    return ranges;
}

/// Whether [p, p + bytes) lies inside one registered tensor.
inline bool gm_contains(const void *p, uint64_t bytes) {
    auto *b = static_cast<const uint8_t *>(p);
    for (const GmRange &r : gm_ranges()) {
        if (b >= r.begin && b <= r.end && bytes <= static_cast<uint64_t>(r.end - b)) return true;
    }
    return false;
}

/// One block's state: its Unified Buffer, what it allocated, and its cycle counts.
struct Core {
    int64_t block_idx = 0;
    int64_t block_num = 1;
    std::unique_ptr<uint8_t[]> ub{new uint8_t[Chip::ub_bytes]};
    uint64_t ub_used = 0;
    double copy_cycles = 0;
    double vector_cycles = 0;
    double scalar_cycles = 0;
    bool all_double_buffered = true;
    /// A rule found broken where throwing is not allowed (a queue's destructor).
    std::string deferred;

    /// Carves `bytes` (rounded up to 32) out of the Unified Buffer.
    uint8_t *carve(uint64_t bytes, const char *what) {
        uint64_t rounded = (bytes + 31) / 32 * 32;
        if (ub_used + rounded > Chip::ub_bytes) {
            violate(Rule::UbCapacity, std::string(what) + " asks " + std::to_string(rounded) +
                                          " bytes with " + std::to_string(ub_used) + " of " +
                                          std::to_string(Chip::ub_bytes) + " in use");
        }
        uint8_t *p = ub.get() + ub_used;
        ub_used += rounded;
        return p;
    }

    /// Cycles of the block by the cost model.
    double cycles() const {
        double copy_compute = all_double_buffered ? std::max(copy_cycles, vector_cycles)
                                                  : copy_cycles + vector_cycles;
        return copy_compute + scalar_cycles;
    }
};

inline Core *&current() {
    thread_local Core *core = nullptr;
    return core;
}

inline Core &core() {
    Core *c = current();
    if (c == nullptr) violate(Rule::BlockDim, "a device function ran outside a kernel launch");
    return *c;
}

/// Cycles to move `bytes` between GM and UB on one core.
inline double cycles_to_copy(uint64_t bytes) {
    double per_core = Chip::hbm_bytes_per_s / Chip::vector_cores;
    return static_cast<double>(bytes) / per_core * Chip::clock_hz;
}

/// Counts one vector instruction over `bytes` of operand.
inline void vector_op(uint64_t bytes) {
    core().vector_cycles += std::ceil(static_cast<double>(bytes) / Chip::vector_bytes_per_cycle);
}

/// Estimated seconds of the launches since the last take.
inline std::atomic<double> &estimate() {
    static std::atomic<double> seconds{0.0};
    return seconds;
}

/// Runs `blocks` blocks of `kernel`, each as an AI core on a pool of host threads, checks
/// each block's queues at its end, adds the launch's estimated time, and rethrows the
/// first broken rule.
inline void launch(int64_t blocks, const std::function<void()> &kernel) {
    if (blocks < 1 || blocks > Chip::max_block_dim) {
        violate(Rule::BlockDim, "blockDim " + std::to_string(blocks) + " is outside 1.." +
                                    std::to_string(Chip::max_block_dim));
    }
    std::vector<double> block_cycles(static_cast<size_t>(blocks), 0.0);
    std::atomic<int64_t> next{0};
    std::mutex failure_lock;
    std::exception_ptr failure;
    auto worker = [&] {
        for (;;) {
            int64_t b = next.fetch_add(1);
            if (b >= blocks) return;
            Core c;
            c.block_idx = b;
            c.block_num = blocks;
            current() = &c;
            try {
                kernel();
                if (!c.deferred.empty()) violate(Rule::QueueOrder, c.deferred);
                block_cycles[static_cast<size_t>(b)] = c.cycles();
            } catch (...) {
                std::lock_guard<std::mutex> g(failure_lock);
                if (!failure) failure = std::current_exception();
                next.store(blocks);
            }
            current() = nullptr;
        }
    };
    unsigned threads = std::max(1u, std::min(std::thread::hardware_concurrency(),
                                             static_cast<unsigned>(blocks)));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto &t : pool) t.join();
    if (failure) std::rethrow_exception(failure);
    std::vector<double> core_cycles(Chip::vector_cores, 0.0);
    for (int64_t b = 0; b < blocks; ++b) core_cycles[b % Chip::vector_cores] += block_cycles[b];
    double busiest = *std::max_element(core_cycles.begin(), core_cycles.end());
    double seconds = busiest / Chip::clock_hz;
    double old = estimate().load();
    while (!estimate().compare_exchange_weak(old, old + seconds)) {
    }
}

} // namespace kb_emu

namespace AscendC {

enum class TPosition { GM, VECIN, VECOUT, VECCALC, A1, A2, B1, B2, CO1, CO2 };
using QuePosition = TPosition;
enum pipe_t { PIPE_S, PIPE_V, PIPE_M, PIPE_MTE1, PIPE_MTE2, PIPE_MTE3, PIPE_ALL };
enum class RoundMode { CAST_NONE, CAST_RINT, CAST_FLOOR, CAST_CEIL, CAST_ROUND, CAST_TRUNC };
enum class CMPMODE { LT, GT, EQ, LE, GE, NE };
enum class SELMODE { VSEL_CMPMASK_SPR, VSEL_TENSOR_SCALAR_MODE, VSEL_TENSOR_TENSOR_MODE };

inline int64_t GetBlockIdx() { return kb_emu::core().block_idx; }
inline int64_t GetBlockNum() { return kb_emu::core().block_num; }
inline constexpr uint32_t GetUBSizeInBytes() { return kb_emu::Chip::ub_bytes; }

template <pipe_t pipe> inline void PipeBarrier() {}

/// A tensor in the Unified Buffer: a view of `size` elements.
template <typename T> class LocalTensor {
  public:
    LocalTensor() = default;
    LocalTensor(T *data, uint32_t size, int buffer = -1) : data_(data), size_(size), buffer_(buffer) {}
    LocalTensor operator[](uint32_t offset) const {
        check(offset, 0, "operator[]");
        return LocalTensor(data_ + offset, size_ - offset, buffer_);
    }
    T GetValue(uint32_t i) const {
        check(i, 1, "GetValue");
        kb_emu::core().scalar_cycles += 1;
        return data_[i];
    }
    void SetValue(uint32_t i, T v) const {
        check(i, 1, "SetValue");
        kb_emu::core().scalar_cycles += 1;
        data_[i] = v;
    }
    uint32_t GetSize() const { return size_; }
    T *raw() const { return data_; }
    int buffer() const { return buffer_; }
    /// Checks that [offset, offset + count) lies inside the view.
    void check(uint64_t offset, uint64_t count, const char *op) const {
        if (data_ == nullptr) kb_emu::violate(kb_emu::Rule::LocalBounds, std::string(op) + " on a LocalTensor never allocated");
        if (offset + count > size_) {
            kb_emu::violate(kb_emu::Rule::LocalBounds, std::string(op) + " reaches element " +
                                                           std::to_string(offset + count) +
                                                           " of a LocalTensor of " + std::to_string(size_));
        }
    }

  private:
    T *data_ = nullptr;
    uint32_t size_ = 0;
    int buffer_ = -1;
};

/// A tensor in global memory: `size` elements from a base the kernel sets.
template <typename T> class GlobalTensor {
  public:
    void SetGlobalBuffer(__gm__ T *base, uint64_t size) {
        if (!kb_emu::gm_contains(base, size * sizeof(T))) {
            kb_emu::violate(kb_emu::Rule::GmBounds, "SetGlobalBuffer of " + std::to_string(size) +
                                                        " elements outside every input and output tensor");
        }
        data_ = base;
        size_ = size;
    }
    GlobalTensor operator[](uint64_t offset) const {
        check(offset, 0, "operator[]");
        GlobalTensor g;
        g.data_ = data_ + offset;
        g.size_ = size_ - offset;
        return g;
    }
    T GetValue(uint64_t i) const {
        check(i, 1, "GetValue");
        kb_emu::core().scalar_cycles += 1;
        return data_[i];
    }
    void SetValue(uint64_t i, T v) const {
        check(i, 1, "SetValue");
        kb_emu::core().scalar_cycles += 1;
        data_[i] = v;
    }
    uint64_t GetSize() const { return size_; }
    T *raw() const { return data_; }
    /// Checks that [offset, offset + count) lies inside the tensor.
    void check(uint64_t offset, uint64_t count, const char *op) const {
        if (data_ == nullptr) kb_emu::violate(kb_emu::Rule::GmBounds, std::string(op) + " on a GlobalTensor without SetGlobalBuffer");
        if (offset + count > size_) {
            kb_emu::violate(kb_emu::Rule::GmBounds, std::string(op) + " reaches element " +
                                                        std::to_string(offset + count) +
                                                        " of a GlobalTensor of " + std::to_string(size_));
        }
    }

  private:
    T *data_ = nullptr;
    uint64_t size_ = 0;
};

/// A queue of Unified Buffer tensors between pipeline stages: AllocTensor, EnQue,
/// DeQue, FreeTensor, in that order for each buffer; at most `depth` tensors queued.
template <TPosition pos, int32_t depth> class TQue {
  public:
    enum class State { Free, Allocated, Queued, Dequeued };
    void init(int32_t num, uint32_t len) {
        if (!buffers_.empty()) kb_emu::violate(kb_emu::Rule::QueueOrder, "InitBuffer called twice on one queue");
        kb_emu::Core &c = kb_emu::core();
        if (depth < 2 || num < 2) c.all_double_buffered = false;
        for (int32_t i = 0; i < num; ++i) buffers_.push_back({c.carve(len, "InitBuffer"), len, State::Free});
    }
    /// A buffer still allocated or queued when the queue goes out of scope (the end of
    /// the kernel) is a broken discipline, reported when the block ends.
    ~TQue() {
        kb_emu::Core *c = kb_emu::current();
        for (const Buffer &b : buffers_) {
            if (b.state != State::Free && c != nullptr && c->deferred.empty()) {
                c->deferred = "the kernel ended with a queue buffer not freed (a DeQue or FreeTensor is missing)";
            }
        }
    }
    TQue() = default;
    TQue(const TQue &) = delete;
    TQue &operator=(const TQue &) = delete;
    template <typename T> LocalTensor<T> AllocTensor() {
        for (size_t i = 0; i < buffers_.size(); ++i) {
            if (buffers_[i].state == State::Free) {
                buffers_[i].state = State::Allocated;
                return LocalTensor<T>(reinterpret_cast<T *>(buffers_[i].data),
                                      buffers_[i].len / sizeof(T), static_cast<int>(i));
            }
        }
        kb_emu::violate(kb_emu::Rule::QueueOrder, buffers_.empty()
                                                      ? "AllocTensor on a queue without InitBuffer"
                                                      : "AllocTensor with every buffer in use (a FreeTensor is missing)");
    }
    template <typename T> void EnQue(const LocalTensor<T> &t) {
        Buffer &b = own(t.buffer(), "EnQue");
        if (b.state != State::Allocated) kb_emu::violate(kb_emu::Rule::QueueOrder, "EnQue of a tensor that is not freshly allocated");
        if (static_cast<int32_t>(queued_.size()) >= depth) {
            kb_emu::violate(kb_emu::Rule::QueueDepth, "EnQue beyond the queue's depth " + std::to_string(depth));
        }
        b.state = State::Queued;
        queued_.push_back(t.buffer());
    }
    template <typename T> LocalTensor<T> DeQue() {
        if (queued_.empty()) kb_emu::violate(kb_emu::Rule::QueueOrder, "DeQue on an empty queue (an EnQue is missing)");
        int i = queued_.front();
        queued_.erase(queued_.begin());
        buffers_[i].state = State::Dequeued;
        return LocalTensor<T>(reinterpret_cast<T *>(buffers_[i].data), buffers_[i].len / sizeof(T), i);
    }
    template <typename T> void FreeTensor(const LocalTensor<T> &t) {
        Buffer &b = own(t.buffer(), "FreeTensor");
        if (b.state != State::Dequeued) kb_emu::violate(kb_emu::Rule::QueueOrder, "FreeTensor of a tensor that was not dequeued");
        b.state = State::Free;
    }

  private:
    struct Buffer {
        uint8_t *data;
        uint32_t len;
        State state;
    };
    Buffer &own(int i, const char *op) {
        if (i < 0 || static_cast<size_t>(i) >= buffers_.size()) {
            kb_emu::violate(kb_emu::Rule::QueueOrder, std::string(op) + " of a tensor from another queue");
        }
        return buffers_[static_cast<size_t>(i)];
    }
    std::vector<Buffer> buffers_;
    std::vector<int> queued_;
};

/// A plain Unified Buffer area for temporaries.
template <TPosition pos = TPosition::VECCALC> class TBuf {
  public:
    void init(uint32_t len) {
        if (data_ != nullptr) kb_emu::violate(kb_emu::Rule::QueueOrder, "InitBuffer called twice on one TBuf");
        data_ = kb_emu::core().carve(len, "InitBuffer");
        len_ = len;
    }
    template <typename T> LocalTensor<T> Get() const { return Get<T>(len_ / sizeof(T)); }
    template <typename T> LocalTensor<T> Get(uint32_t count) const {
        if (data_ == nullptr) kb_emu::violate(kb_emu::Rule::LocalBounds, "Get on a TBuf without InitBuffer");
        if (count * sizeof(T) > len_) kb_emu::violate(kb_emu::Rule::LocalBounds, "Get of more than the TBuf holds");
        return LocalTensor<T>(reinterpret_cast<T *>(data_), count);
    }

  private:
    uint8_t *data_ = nullptr;
    uint32_t len_ = 0;
};

/// The pipe that owns a block's queue and buffer memory.
class TPipe {
  public:
    template <TPosition pos, int32_t depth> void InitBuffer(TQue<pos, depth> &que, int32_t num, uint32_t len) {
        que.init(num, len);
    }
    template <TPosition pos> void InitBuffer(TBuf<pos> &buf, uint32_t len) { buf.init(len); }
};

/// Checks a DataCopy length: whole 32-byte blocks.
template <typename T> inline void check_copy_length(uint32_t count) {
    if ((static_cast<uint64_t>(count) * sizeof(T)) % kb_emu::Chip::copy_block_bytes != 0) {
        kb_emu::violate(kb_emu::Rule::CopyAlignment, "DataCopy of " + std::to_string(count * sizeof(T)) +
                                                         " bytes, not a multiple of 32 (use DataCopyPad)");
    }
}

template <typename T> inline void DataCopy(const LocalTensor<T> &dst, const GlobalTensor<T> &src, uint32_t count) {
    check_copy_length<T>(count);
    dst.check(0, count, "DataCopy");
    src.check(0, count, "DataCopy");
    std::memcpy(dst.raw(), src.raw(), count * sizeof(T));
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(count * sizeof(T));
}

template <typename T> inline void DataCopy(const GlobalTensor<T> &dst, const LocalTensor<T> &src, uint32_t count) {
    check_copy_length<T>(count);
    dst.check(0, count, "DataCopy");
    src.check(0, count, "DataCopy");
    std::memcpy(dst.raw(), src.raw(), count * sizeof(T));
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(count * sizeof(T));
}

template <typename T> inline void DataCopy(const LocalTensor<T> &dst, const LocalTensor<T> &src, uint32_t count) {
    check_copy_length<T>(count);
    dst.check(0, count, "DataCopy");
    src.check(0, count, "DataCopy");
    std::memmove(dst.raw(), src.raw(), count * sizeof(T));
    kb_emu::vector_op(count * sizeof(T));
}

/// Blocks of a padded copy: `blockLen` bytes each; strides as the API documents them
/// (GM side in bytes, UB side in 32-byte blocks).
struct DataCopyExtParams {
    uint16_t blockCount = 1;
    uint32_t blockLen = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
    uint32_t rsv = 0;
};

template <typename T> struct DataCopyPadExtParams {
    bool isPad = false;
    uint8_t leftPadding = 0;
    uint8_t rightPadding = 0;
    T paddingValue = T(0);
};

/// GM -> UB, any length: each block lands on a 32-byte boundary in the UB.
template <typename T>
inline void DataCopyPad(const LocalTensor<T> &dst, const GlobalTensor<T> &src, const DataCopyExtParams &p,
                        const DataCopyPadExtParams<T> &pad) {
    uint64_t ub_block = (p.blockLen + 31) / 32 * 32;
    uint64_t gm_off = 0, ub_off = 0;
    for (uint16_t b = 0; b < p.blockCount; ++b) {
        if (p.blockLen % sizeof(T) != 0) kb_emu::violate(kb_emu::Rule::CopyAlignment, "DataCopyPad blockLen not a whole number of elements");
        src.check(gm_off / sizeof(T), p.blockLen / sizeof(T), "DataCopyPad");
        dst.check(ub_off / sizeof(T), ub_block / sizeof(T), "DataCopyPad");
        auto *d = reinterpret_cast<uint8_t *>(dst.raw()) + ub_off;
        std::memcpy(d, reinterpret_cast<const uint8_t *>(src.raw()) + gm_off, p.blockLen);
        if (pad.isPad) {
            T *e = reinterpret_cast<T *>(d);
            for (uint64_t i = p.blockLen / sizeof(T); i < ub_block / sizeof(T); ++i) e[i] = pad.paddingValue;
        }
        gm_off += p.blockLen + p.srcStride;
        ub_off += ub_block + static_cast<uint64_t>(p.dstStride) * 32;
    }
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(static_cast<uint64_t>(p.blockCount) * p.blockLen);
}

/// UB -> GM, any length.
template <typename T>
inline void DataCopyPad(const GlobalTensor<T> &dst, const LocalTensor<T> &src, const DataCopyExtParams &p) {
    uint64_t ub_block = (p.blockLen + 31) / 32 * 32;
    uint64_t gm_off = 0, ub_off = 0;
    for (uint16_t b = 0; b < p.blockCount; ++b) {
        if (p.blockLen % sizeof(T) != 0) kb_emu::violate(kb_emu::Rule::CopyAlignment, "DataCopyPad blockLen not a whole number of elements");
        dst.check(gm_off / sizeof(T), p.blockLen / sizeof(T), "DataCopyPad");
        src.check(ub_off / sizeof(T), p.blockLen / sizeof(T), "DataCopyPad");
        std::memcpy(reinterpret_cast<uint8_t *>(dst.raw()) + gm_off,
                    reinterpret_cast<const uint8_t *>(src.raw()) + ub_off, p.blockLen);
        gm_off += p.blockLen + p.dstStride;
        ub_off += ub_block + static_cast<uint64_t>(p.srcStride) * 32;
    }
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(static_cast<uint64_t>(p.blockCount) * p.blockLen);
}

/// Elementwise kernels over `count` elements, counted as one vector instruction per
/// operand range.
template <typename T, typename F> inline void unary(const LocalTensor<T> &dst, const LocalTensor<T> &src, int32_t count, F f, const char *op) {
    dst.check(0, count, op);
    src.check(0, count, op);
    for (int32_t i = 0; i < count; ++i) dst.raw()[i] = f(src.raw()[i]);
    kb_emu::vector_op(static_cast<uint64_t>(count) * sizeof(T));
}

template <typename T, typename F>
inline void binary(const LocalTensor<T> &dst, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t count, F f, const char *op) {
    dst.check(0, count, op);
    a.check(0, count, op);
    b.check(0, count, op);
    for (int32_t i = 0; i < count; ++i) dst.raw()[i] = f(a.raw()[i], b.raw()[i]);
    kb_emu::vector_op(static_cast<uint64_t>(count) * sizeof(T));
}

template <typename T> inline void Add(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return T(x + y); }, "Add"); }
template <typename T> inline void Sub(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return T(x - y); }, "Sub"); }
template <typename T> inline void Mul(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return T(x * y); }, "Mul"); }
template <typename T> inline void Div(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return T(x / y); }, "Div"); }
template <typename T> inline void Max(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return x > y ? x : y; }, "Max"); }
template <typename T> inline void Min(const LocalTensor<T> &d, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t n) { binary(d, a, b, n, [](T x, T y) { return x < y ? x : y; }, "Min"); }
template <typename T> inline void Adds(const LocalTensor<T> &d, const LocalTensor<T> &a, T s, int32_t n) { unary(d, a, n, [s](T x) { return T(x + s); }, "Adds"); }
template <typename T> inline void Muls(const LocalTensor<T> &d, const LocalTensor<T> &a, T s, int32_t n) { unary(d, a, n, [s](T x) { return T(x * s); }, "Muls"); }
template <typename T> inline void Maxs(const LocalTensor<T> &d, const LocalTensor<T> &a, T s, int32_t n) { unary(d, a, n, [s](T x) { return x > s ? x : s; }, "Maxs"); }
template <typename T> inline void Mins(const LocalTensor<T> &d, const LocalTensor<T> &a, T s, int32_t n) { unary(d, a, n, [s](T x) { return x < s ? x : s; }, "Mins"); }
template <typename T> inline void Exp(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return T(std::exp(float(x))); }, "Exp"); }
template <typename T> inline void Ln(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return T(std::log(float(x))); }, "Ln"); }
template <typename T> inline void Abs(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return T(std::fabs(float(x))); }, "Abs"); }
template <typename T> inline void Sqrt(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return T(std::sqrt(float(x))); }, "Sqrt"); }
template <typename T> inline void Reciprocal(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return T(T(1) / x); }, "Reciprocal"); }
template <typename T> inline void Relu(const LocalTensor<T> &d, const LocalTensor<T> &a, int32_t n) { unary(d, a, n, [](T x) { return x > T(0) ? x : T(0); }, "Relu"); }

template <typename T> inline void Duplicate(const LocalTensor<T> &d, T value, int32_t n) {
    d.check(0, n, "Duplicate");
    std::fill(d.raw(), d.raw() + n, value);
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

template <typename D, typename S> inline void Cast(const LocalTensor<D> &d, const LocalTensor<S> &s, RoundMode mode, int32_t n) {
    d.check(0, n, "Cast");
    s.check(0, n, "Cast");
    for (int32_t i = 0; i < n; ++i) {
        double x = static_cast<double>(s.raw()[i]);
        switch (mode) {
        case RoundMode::CAST_RINT: x = std::nearbyint(x); break;
        case RoundMode::CAST_FLOOR: x = std::floor(x); break;
        case RoundMode::CAST_CEIL: x = std::ceil(x); break;
        case RoundMode::CAST_ROUND: x = std::round(x); break;
        case RoundMode::CAST_TRUNC: x = std::trunc(x); break;
        case RoundMode::CAST_NONE: break;
        }
        d.raw()[i] = static_cast<D>(x);
    }
    kb_emu::vector_op(static_cast<uint64_t>(n) * std::max(sizeof(D), sizeof(S)));
}

/// dst[0] = the sum of src[0..n); `work` is scratch the real instruction needs.
template <typename T> inline void ReduceSum(const LocalTensor<T> &d, const LocalTensor<T> &s, const LocalTensor<T> &work, int32_t n) {
    d.check(0, 1, "ReduceSum");
    s.check(0, n, "ReduceSum");
    work.check(0, 1, "ReduceSum");
    float acc = 0;
    for (int32_t i = 0; i < n; ++i) acc += float(s.raw()[i]);
    d.raw()[0] = T(acc);
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// dst[0] = the maximum of src[0..n) (with calIndex, dst[1] holds its index's bits).
template <typename T>
inline void ReduceMax(const LocalTensor<T> &d, const LocalTensor<T> &s, const LocalTensor<T> &work, int32_t n, bool calIndex = false) {
    d.check(0, calIndex ? 2 : 1, "ReduceMax");
    s.check(0, n, "ReduceMax");
    work.check(0, 1, "ReduceMax");
    int32_t best = 0;
    for (int32_t i = 1; i < n; ++i)
        if (s.raw()[i] > s.raw()[best]) best = i;
    d.raw()[0] = s.raw()[best];
    if (calIndex) {
        uint32_t idx = static_cast<uint32_t>(best);
        std::memcpy(&d.raw()[1], &idx, std::min(sizeof(T), sizeof(idx)));
    }
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// One bit per element: set where `a <mode> b`.
template <typename T>
inline void Compare(const LocalTensor<uint8_t> &mask, const LocalTensor<T> &a, const LocalTensor<T> &b, CMPMODE mode, int32_t n) {
    mask.check(0, (n + 7) / 8, "Compare");
    a.check(0, n, "Compare");
    b.check(0, n, "Compare");
    std::memset(mask.raw(), 0, (n + 7) / 8);
    for (int32_t i = 0; i < n; ++i) {
        T x = a.raw()[i], y = b.raw()[i];
        bool r = mode == CMPMODE::LT ? x < y : mode == CMPMODE::GT ? x > y : mode == CMPMODE::EQ ? x == y
                 : mode == CMPMODE::LE ? x <= y : mode == CMPMODE::GE ? x >= y : x != y;
        if (r) mask.raw()[i / 8] |= uint8_t(1u << (i % 8));
    }
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// dst[i] = mask bit i ? a[i] : b[i].
template <typename T>
inline void Select(const LocalTensor<T> &d, const LocalTensor<uint8_t> &mask, const LocalTensor<T> &a, const LocalTensor<T> &b, SELMODE, int32_t n) {
    d.check(0, n, "Select");
    mask.check(0, (n + 7) / 8, "Select");
    a.check(0, n, "Select");
    b.check(0, n, "Select");
    for (int32_t i = 0; i < n; ++i) d.raw()[i] = (mask.raw()[i / 8] >> (i % 8)) & 1 ? a.raw()[i] : b.raw()[i];
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// dst[i] = mask bit i ? a[i] : scalar.
template <typename T>
inline void Select(const LocalTensor<T> &d, const LocalTensor<uint8_t> &mask, const LocalTensor<T> &a, T scalar, SELMODE, int32_t n) {
    d.check(0, n, "Select");
    mask.check(0, (n + 7) / 8, "Select");
    a.check(0, n, "Select");
    for (int32_t i = 0; i < n; ++i) d.raw()[i] = (mask.raw()[i / 8] >> (i % 8)) & 1 ? a.raw()[i] : scalar;
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

} // namespace AscendC
