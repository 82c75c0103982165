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
// - The cube side's buffers per AI core: L1 512 KiB, L0A 64 KiB, L0B 64 KiB, L0C 128 KiB
//   (CANN platform information for Ascend910B, GetCoreMemSize of L1 / L0_A / L0_B /
//   L0_C: 524,288 / 65,536 / 65,536 / 131,072 bytes).
// - The cube unit takes one fractal triple per cycle: a 16 x k0 block of A times a k0 x 16
//   block of B, k0 = 32 bytes / sizeof(operand) (Mmad's fractal shapes, AscendC API
//   reference "Mmad": 16 for half, 8 for float), i.e. 16x16x16 FP16 MACs per cycle.
//
// What the emulator simplifies, on purpose:
// - Each block has a UB and its own cube buffers, as if it were a whole AI core. On the
//   910B the cube (AIC) and the two vector cores (AIV) of an AI core are separate cores
//   that share one cube unit: the cost model charges each block half a cube (Mmad's
//   cycles doubled), so 48 blocks get the 24 cubes of the chip.
// - A2, B2 and CO1 hold plain row-major matrices (ND), not the chip's fractal formats
//   (ZZ, ZN, NZ); LoadData copies a row-major tile (optionally transposed) and Fixpipe
//   writes row-major rows. A real kernel's format conversions are not modelled.
// - LoadData (L1 to L0A/L0B) moves 256 bytes per cycle and Gather reads 32 bytes per
//   cycle: assumptions, not published figures.
//
// The cost model, per block: copy cycles (every byte moved between GM and UB or L1, and
// from L0C to GM, both directions, over the core's bandwidth share: reads and writes
// share HBM), vector cycles (one per 256 bytes of each instruction's operand range,
// rounded up per instruction), cube cycles (2 x ceil(m/16) x ceil(n/16) x ceil(k/k0) per
// Mmad, plus LoadData's), scalar cycles (one per GetValue / SetValue). When every queue
// the block used is double-buffered (depth >= 2 with >= 2 buffers), copies and compute
// overlap: the block takes max(copy, vector, cube) + scalar; otherwise their sum. Blocks beyond 48 run
// in waves on the same cores; the launch takes as long as its busiest core.
// Instruction issue, latency and bank conflicts are not modelled.

#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <initializer_list>
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
    static constexpr uint64_t l1_bytes = 524288;
    static constexpr uint64_t l0a_bytes = 65536;
    static constexpr uint64_t l0b_bytes = 65536;
    static constexpr uint64_t l0c_bytes = 131072;
    /// Blocks sharing one cube unit (two vector cores per AI core).
    static constexpr double blocks_per_cube = 2.0;
    static constexpr double load_bytes_per_cycle = 256.0;
    static constexpr double gather_bytes_per_cycle = 32.0;
    static constexpr int max_mmad_dim = 4095;
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
    Position = 8,
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
    case Rule::Position: return "wrong_position";
    }
    return "unknown";
}

/// A broken rule: stops the launch.
struct RuleViolation : std::runtime_error {
    Rule rule;
    RuleViolation(Rule r, const std::string &message)
        : std::runtime_error(std::string("npu-emu rule ") + rule_name(r) + ": " + message), rule(r) {}
};

struct Core;
inline Core *&current();
inline void remember(Rule r, const std::string &message);

/// Stops the kernel on a broken rule. The block remembers the first one, so a kernel that
/// swallowed the exception still fails when it ends.
[[noreturn]] inline void violate(Rule r, const std::string &message) {
    remember(r, message);
    throw RuleViolation(r, message);
}

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

/// One on-chip memory of a block: allocated front to back, never returned.
struct Memory {
    const char *name;
    uint64_t capacity;
    std::unique_ptr<uint8_t[]> bytes;
    uint64_t used = 0;
    Memory(const char *n, uint64_t cap) : name(n), capacity(cap), bytes(new uint8_t[cap]) {}

    /// Carves `want` bytes (rounded up to 32) out of the memory.
    uint8_t *carve(uint64_t want, const char *what) {
        uint64_t rounded = (want + 31) / 32 * 32;
        if (used + rounded > capacity) {
            violate(Rule::UbCapacity, std::string(what) + " asks " + std::to_string(rounded) + " bytes of " +
                                          name + " with " + std::to_string(used) + " of " +
                                          std::to_string(capacity) + " in use");
        }
        uint8_t *p = bytes.get() + used;
        used += rounded;
        return p;
    }
};

/// One block's state: its Unified Buffer and cube buffers, and its cycle counts.
struct Core {
    int64_t block_idx = 0;
    int64_t block_num = 1;
    Memory ub{"the Unified Buffer", Chip::ub_bytes};
    /// Allocated on first use: most kernels never touch the cube.
    std::unique_ptr<Memory> l1, l0a, l0b, l0c;
    double copy_cycles = 0;
    double vector_cycles = 0;
    double cube_cycles = 0;
    double scalar_cycles = 0;
    bool all_double_buffered = true;
    /// Whether copies to GM add into it (SetAtomicAdd) rather than overwrite it.
    bool atomic_add = false;
    /// A rule found broken where throwing is not allowed (a queue's destructor).
    std::string deferred;
    /// The first rule the block broke, kept past any handler.
    bool broke = false;
    Rule broken_rule = Rule::QueueOrder;
    std::string broken_message;

    /// The memory that holds tensors of position `pos` (an AscendC::TPosition value).
    Memory &memory(int pos);

    /// Cycles of the block by the cost model.
    double cycles() const {
        double copy_compute = all_double_buffered ? std::max({copy_cycles, vector_cycles, cube_cycles})
                                                  : copy_cycles + vector_cycles + cube_cycles;
        return copy_compute + scalar_cycles;
    }
};

inline Memory &on_demand(std::unique_ptr<Memory> &m, const char *name, uint64_t capacity) {
    if (!m) m.reset(new Memory(name, capacity));
    return *m;
}

inline Core *&current() {
    thread_local Core *core = nullptr;
    return core;
}

inline void remember(Rule r, const std::string &message) {
    Core *c = current();
    if (c != nullptr && !c->broke) {
        c->broke = true;
        c->broken_rule = r;
        c->broken_message = message;
    }
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

/// Serialises the atomic additions into GM of all blocks.
inline std::mutex &atomic_lock() {
    static std::mutex lock;
    return lock;
}

/// Writes `count` elements to GM: a copy, or under SetAtomicAdd an addition made
/// atomically with respect to every other block.
template <typename T> inline void write_gm(T *dst, const T *src, uint64_t count) {
    if (!core().atomic_add) {
        std::memcpy(dst, src, count * sizeof(T));
        return;
    }
    std::lock_guard<std::mutex> g(atomic_lock());
    for (uint64_t i = 0; i < count; ++i) dst[i] = T(dst[i] + src[i]);
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
                if (c.broke) throw RuleViolation(c.broken_rule, c.broken_message);
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

} // namespace AscendC

/// Where tensors of each position live: the vector side's UB, the cube side's L1 (A1,
/// B1), L0A (A2), L0B (B2) and L0C (CO1).
inline kb_emu::Memory &kb_emu::Core::memory(int pos) {
    using AscendC::TPosition;
    switch (static_cast<TPosition>(pos)) {
    case TPosition::A1: case TPosition::B1: return on_demand(l1, "L1", Chip::l1_bytes);
    case TPosition::A2: return on_demand(l0a, "L0A", Chip::l0a_bytes);
    case TPosition::B2: return on_demand(l0b, "L0B", Chip::l0b_bytes);
    case TPosition::CO1: return on_demand(l0c, "L0C", Chip::l0c_bytes);
    case TPosition::VECIN: case TPosition::VECOUT: case TPosition::VECCALC: return ub;
    default: violate(Rule::Position, "no buffer of this position exists in the emulated core (use VECIN, VECOUT, VECCALC, A1, B1, A2, B2 or CO1)");
    }
}

namespace AscendC {

inline const char *position_name(TPosition p) {
    switch (p) {
    case TPosition::GM: return "GM";
    case TPosition::VECIN: return "VECIN";
    case TPosition::VECOUT: return "VECOUT";
    case TPosition::VECCALC: return "VECCALC";
    case TPosition::A1: return "A1";
    case TPosition::A2: return "A2";
    case TPosition::B1: return "B1";
    case TPosition::B2: return "B2";
    case TPosition::CO1: return "CO1";
    case TPosition::CO2: return "CO2";
    }
    return "?";
}

inline bool in_ub(TPosition p) { return p == TPosition::VECIN || p == TPosition::VECOUT || p == TPosition::VECCALC; }

inline int64_t GetBlockIdx() { return kb_emu::core().block_idx; }
inline int64_t GetBlockNum() { return kb_emu::core().block_num; }
inline constexpr uint32_t GetUBSizeInBytes() { return kb_emu::Chip::ub_bytes; }

template <pipe_t pipe> inline void PipeBarrier() {}

/// A tensor in the Unified Buffer: a view of `size` elements.
template <typename T> class LocalTensor {
  public:
    LocalTensor() = default;
    LocalTensor(T *data, uint32_t size, TPosition pos, int buffer = -1)
        : data_(data), size_(size), pos_(pos), buffer_(buffer) {}
    LocalTensor operator[](uint32_t offset) const {
        check(offset, 0, "operator[]");
        return LocalTensor(data_ + offset, size_ - offset, pos_, buffer_);
    }
    /// Where the tensor lives.
    TPosition position() const { return pos_; }
    /// Checks that the tensor lives in one of `allowed` (the unit `op` runs on reads and
    /// writes only those).
    void at(std::initializer_list<TPosition> allowed, const char *op) const {
        for (TPosition p : allowed)
            if (p == pos_) return;
        std::string names;
        for (TPosition p : allowed) names += std::string(names.empty() ? "" : "/") + position_name(p);
        kb_emu::violate(kb_emu::Rule::Position, std::string(op) + " on a tensor in " + position_name(pos_) +
                                                    " (it takes " + names + ")");
    }
    /// Checks that the tensor lives in the Unified Buffer (vector instructions).
    void on_ub(const char *op) const {
        if (!in_ub(pos_)) {
            kb_emu::violate(kb_emu::Rule::Position, std::string(op) + " is a vector instruction: its tensors live in the "
                                                        "Unified Buffer, not in " + position_name(pos_));
        }
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
    TPosition pos_ = TPosition::VECCALC;
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
        kb_emu::Memory &m = c.memory(static_cast<int>(pos));
        for (int32_t i = 0; i < num; ++i) buffers_.push_back({m.carve(len, "InitBuffer"), len, State::Free});
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
                                      buffers_[i].len / sizeof(T), pos, static_cast<int>(i));
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
        return LocalTensor<T>(reinterpret_cast<T *>(buffers_[i].data), buffers_[i].len / sizeof(T), pos, i);
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
        data_ = kb_emu::core().memory(static_cast<int>(pos)).carve(len, "InitBuffer");
        len_ = len;
    }
    template <typename T> LocalTensor<T> Get() const { return Get<T>(len_ / sizeof(T)); }
    template <typename T> LocalTensor<T> Get(uint32_t count) const {
        if (data_ == nullptr) kb_emu::violate(kb_emu::Rule::LocalBounds, "Get on a TBuf without InitBuffer");
        if (count * sizeof(T) > len_) kb_emu::violate(kb_emu::Rule::LocalBounds, "Get of more than the TBuf holds");
        return LocalTensor<T>(reinterpret_cast<T *>(data_), count, pos);
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
    dst.at({TPosition::VECIN, TPosition::VECOUT, TPosition::VECCALC, TPosition::A1, TPosition::B1}, "DataCopy from GM");
    check_copy_length<T>(count);
    dst.check(0, count, "DataCopy");
    src.check(0, count, "DataCopy");
    std::memcpy(dst.raw(), src.raw(), count * sizeof(T));
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(count * sizeof(T));
}

template <typename T> inline void DataCopy(const GlobalTensor<T> &dst, const LocalTensor<T> &src, uint32_t count) {
    src.on_ub("DataCopy to GM (L0C leaves through Fixpipe)");
    check_copy_length<T>(count);
    dst.check(0, count, "DataCopy");
    src.check(0, count, "DataCopy");
    kb_emu::write_gm(dst.raw(), src.raw(), count);
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(count * sizeof(T));
}

template <typename T> inline void DataCopy(const LocalTensor<T> &dst, const LocalTensor<T> &src, uint32_t count) {
    dst.on_ub("DataCopy within the UB (L1 to L0A/L0B is LoadData)");
    src.on_ub("DataCopy within the UB (L1 to L0A/L0B is LoadData)");
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
    dst.at({TPosition::VECIN, TPosition::VECOUT, TPosition::VECCALC, TPosition::A1, TPosition::B1}, "DataCopyPad from GM");
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
    src.on_ub("DataCopyPad to GM (L0C leaves through Fixpipe)");
    uint64_t ub_block = (p.blockLen + 31) / 32 * 32;
    uint64_t gm_off = 0, ub_off = 0;
    for (uint16_t b = 0; b < p.blockCount; ++b) {
        if (p.blockLen % sizeof(T) != 0) kb_emu::violate(kb_emu::Rule::CopyAlignment, "DataCopyPad blockLen not a whole number of elements");
        dst.check(gm_off / sizeof(T), p.blockLen / sizeof(T), "DataCopyPad");
        src.check(ub_off / sizeof(T), p.blockLen / sizeof(T), "DataCopyPad");
        kb_emu::write_gm(reinterpret_cast<T *>(reinterpret_cast<uint8_t *>(dst.raw()) + gm_off),
                         src.raw() + ub_off / sizeof(T), p.blockLen / sizeof(T));
        gm_off += p.blockLen + p.dstStride;
        ub_off += ub_block + static_cast<uint64_t>(p.srcStride) * 32;
    }
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(static_cast<uint64_t>(p.blockCount) * p.blockLen);
}

/// Elementwise kernels over `count` elements, counted as one vector instruction per
/// operand range.
template <typename T, typename F> inline void unary(const LocalTensor<T> &dst, const LocalTensor<T> &src, int32_t count, F f, const char *op) {
    dst.on_ub(op);
    src.on_ub(op);
    dst.check(0, count, op);
    src.check(0, count, op);
    for (int32_t i = 0; i < count; ++i) dst.raw()[i] = f(src.raw()[i]);
    kb_emu::vector_op(static_cast<uint64_t>(count) * sizeof(T));
}

template <typename T, typename F>
inline void binary(const LocalTensor<T> &dst, const LocalTensor<T> &a, const LocalTensor<T> &b, int32_t count, F f, const char *op) {
    dst.on_ub(op);
    a.on_ub(op);
    b.on_ub(op);
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
    d.on_ub("Duplicate");
    d.check(0, n, "Duplicate");
    std::fill(d.raw(), d.raw() + n, value);
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

template <typename D, typename S> inline void Cast(const LocalTensor<D> &d, const LocalTensor<S> &s, RoundMode mode, int32_t n) {
    d.on_ub("Cast");
    s.on_ub("Cast");
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
    d.on_ub("ReduceSum");
    s.on_ub("ReduceSum");
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
    d.on_ub("ReduceMax");
    s.on_ub("ReduceMax");
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
    mask.on_ub("Compare");
    a.on_ub("Compare");
    b.on_ub("Compare");
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
    d.on_ub("Select");
    a.on_ub("Select");
    b.on_ub("Select");
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
    d.on_ub("Select");
    a.on_ub("Select");
    d.check(0, n, "Select");
    mask.check(0, (n + 7) / 8, "Select");
    a.check(0, n, "Select");
    for (int32_t i = 0; i < n; ++i) d.raw()[i] = (mask.raw()[i / 8] >> (i % 8)) & 1 ? a.raw()[i] : scalar;
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// From here on, this block's copies to GM (DataCopy, DataCopyPad, Fixpipe) add into
/// GM atomically instead of overwriting it.
template <typename T> inline void SetAtomicAdd() { kb_emu::core().atomic_add = true; }

/// Copies to GM overwrite it again.
inline void SetAtomicNone() { kb_emu::core().atomic_add = false; }

/// Sets `count` elements of `gm` to `value` (as a copy from the UB would: its bytes count
/// as copied). Blocks of one launch run in no set order: zero an output in an earlier
/// launch before blocks add into it.
template <typename T> inline void InitGlobalMemory(const GlobalTensor<T> &gm, uint64_t count, T value) {
    gm.check(0, count, "InitGlobalMemory");
    std::fill(gm.raw(), gm.raw() + count, value);
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(count * sizeof(T));
}

/// dst[i] = first + i (an index vector for Gather offsets and masks).
template <typename T> inline void CreateVecIndex(const LocalTensor<T> &d, T first, int32_t n) {
    d.on_ub("CreateVecIndex");
    d.check(0, n, "CreateVecIndex");
    for (int32_t i = 0; i < n; ++i) d.raw()[i] = T(first + T(i));
    kb_emu::vector_op(static_cast<uint64_t>(n) * sizeof(T));
}

/// dst[i] = the element of `src` at byte offset `base + offsets[i]` (offsets in bytes,
/// as the instruction takes them); every offset must land on an element of `src`.
template <typename T>
inline void Gather(const LocalTensor<T> &d, const LocalTensor<T> &src, const LocalTensor<uint32_t> &offsets,
                   uint32_t base, uint32_t n) {
    d.on_ub("Gather");
    src.on_ub("Gather");
    offsets.on_ub("Gather");
    d.check(0, n, "Gather");
    offsets.check(0, n, "Gather");
    for (uint32_t i = 0; i < n; ++i) {
        uint64_t bytes = static_cast<uint64_t>(base) + offsets.raw()[i];
        if (bytes % sizeof(T) != 0) {
            kb_emu::violate(kb_emu::Rule::LocalBounds, "Gather offset " + std::to_string(bytes) +
                                                           " is not a whole number of elements");
        }
        src.check(bytes / sizeof(T), 1, "Gather");
        d.raw()[i] = src.raw()[bytes / sizeof(T)];
    }
    kb_emu::core().vector_cycles +=
        std::ceil(static_cast<double>(n) * sizeof(T) / kb_emu::Chip::gather_bytes_per_cycle);
}

/// Parameters of Mmad: C (m x n) = A (m x k) . B (k x n); C += A . B when
/// cmatrixInitVal is false.
struct MmadParams {
    uint16_t m = 0;
    uint16_t n = 0;
    uint16_t k = 0;
    bool isBias = false;
    int32_t fmOffset = 0;
    bool enSsparse = false;
    bool enWinogradA = false;
    bool enWinogradB = false;
    uint8_t unitFlag = 0;
    bool cmatrixInitVal = true;
    bool cmatrixSource = false;
};

/// The cube's matrix multiply: A in A2 (m x k, row-major), B in B2 (k x n, row-major),
/// C in CO1 (m x n, row-major, float accumulators).
template <typename C, typename A, typename B>
inline void Mmad(const LocalTensor<C> &c, const LocalTensor<A> &a, const LocalTensor<B> &b, const MmadParams &p) {
    static_assert(std::is_same<C, float>::value, "Mmad accumulates in float (CO1)");
    static_assert(std::is_same<A, B>::value, "Mmad's A and B have one type");
    c.at({TPosition::CO1}, "Mmad's C");
    a.at({TPosition::A2}, "Mmad's A");
    b.at({TPosition::B2}, "Mmad's B");
    const int m = p.m, n = p.n, k = p.k;
    if (m > kb_emu::Chip::max_mmad_dim || n > kb_emu::Chip::max_mmad_dim || k > kb_emu::Chip::max_mmad_dim) {
        kb_emu::violate(kb_emu::Rule::LocalBounds, "Mmad's m, n and k are at most 4095");
    }
    c.check(0, static_cast<uint64_t>(m) * n, "Mmad");
    a.check(0, static_cast<uint64_t>(m) * k, "Mmad");
    b.check(0, static_cast<uint64_t>(k) * n, "Mmad");
    const bool accumulate = p.isBias || !p.cmatrixInitVal;
    for (int i = 0; i < m; ++i) {
        float *row = c.raw() + static_cast<size_t>(i) * n;
        if (!accumulate) std::fill(row, row + n, 0.0f);
        const A *arow = a.raw() + static_cast<size_t>(i) * k;
        for (int q = 0; q < k; ++q) {
            const float x = static_cast<float>(arow[q]);
            const B *brow = b.raw() + static_cast<size_t>(q) * n;
            for (int j = 0; j < n; ++j) row[j] += x * static_cast<float>(brow[j]);
        }
    }
    const double k0 = 32.0 / sizeof(A);
    double fractals = std::ceil(m / 16.0) * std::ceil(n / 16.0) * std::ceil(k / k0);
    kb_emu::core().cube_cycles += fractals * kb_emu::Chip::blocks_per_cube;
}

/// Parameters of LoadData in the emulator: a `rows` x `cols` tile whose rows start
/// `srcStride` elements apart in L1 (0: `cols`), written densely (cols x rows when
/// ifTranspose).
struct LoadData2DParams {
    uint16_t rows = 0;
    uint16_t cols = 0;
    uint32_t srcStride = 0;
    bool ifTranspose = false;
};

/// L1 (A1/B1) to L0A/L0B (A2/B2).
template <typename T> inline void LoadData(const LocalTensor<T> &dst, const LocalTensor<T> &src, const LoadData2DParams &p) {
    dst.at({TPosition::A2, TPosition::B2}, "LoadData's destination");
    src.at({TPosition::A1, TPosition::B1}, "LoadData's source");
    const uint64_t rows = p.rows, cols = p.cols, stride = p.srcStride == 0 ? p.cols : p.srcStride;
    if (rows == 0 || cols == 0) return;
    if (cols > stride) kb_emu::violate(kb_emu::Rule::LocalBounds, "LoadData's srcStride is shorter than a row");
    src.check(0, (rows - 1) * stride + cols, "LoadData");
    dst.check(0, rows * cols, "LoadData");
    for (uint64_t r = 0; r < rows; ++r) {
        const T *from = src.raw() + r * stride;
        if (p.ifTranspose) {
            for (uint64_t q = 0; q < cols; ++q) dst.raw()[q * rows + r] = from[q];
        } else {
            std::memcpy(dst.raw() + r * cols, from, cols * sizeof(T));
        }
    }
    kb_emu::core().cube_cycles +=
        std::ceil(static_cast<double>(rows * cols * sizeof(T)) / kb_emu::Chip::load_bytes_per_cycle);
}

/// Parameters of Fixpipe (L0C to GM): mSize rows of nSize elements, rows srcStride
/// elements apart in CO1 and dstStride apart in GM (0: nSize); reluEn applies ReLU on
/// the way out.
struct FixpipeParamsV220 {
    uint16_t nSize = 0;
    uint16_t mSize = 0;
    uint32_t srcStride = 0;
    uint32_t dstStride = 0;
    bool reluEn = false;
};

/// CO1 to GM.
template <typename T> inline void Fixpipe(const GlobalTensor<T> &dst, const LocalTensor<float> &src, const FixpipeParamsV220 &p) {
    src.at({TPosition::CO1}, "Fixpipe's source");
    const uint64_t rows = p.mSize, cols = p.nSize;
    const uint64_t s = p.srcStride == 0 ? cols : p.srcStride, d = p.dstStride == 0 ? cols : p.dstStride;
    if (rows == 0 || cols == 0) return;
    if (cols > s || cols > d) kb_emu::violate(kb_emu::Rule::LocalBounds, "Fixpipe's strides are shorter than a row");
    src.check(0, (rows - 1) * s + cols, "Fixpipe");
    dst.check(0, (rows - 1) * d + cols, "Fixpipe");
    for (uint64_t r = 0; r < rows; ++r) {
        for (uint64_t q = 0; q < cols; ++q) {
            float v = src.raw()[r * s + q];
            if (p.reluEn && v < 0.0f) v = 0.0f;
            T out = static_cast<T>(v);
            kb_emu::write_gm(dst.raw() + r * d + q, &out, 1);
        }
    }
    kb_emu::core().copy_cycles += kb_emu::cycles_to_copy(rows * cols * sizeof(T));
}

} // namespace AscendC
