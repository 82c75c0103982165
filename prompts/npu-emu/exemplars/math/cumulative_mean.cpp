#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// Running mean along each row of x [rows, cols]: y[r, j] = (x[r, 0] + ... + x[r, j]) / (j + 1).
//
// The rows are dealt out evenly over the vector cores. Each block streams its rows through
// double-buffered queues in chunks of up to TILE floats. A chunk's prefix sum is computed
// with whole-row vector instructions (a Hillis-Steele scan: log2(n) passes of one Add each)
// instead of n scalar GetValue/SetValue steps, which would cost a cycle each. A row longer
// than one chunk carries its running sum into the next chunk. The divisors j + 1 are built
// once per block in a TBuf, also with vector instructions, and applied with one Div.
// A row is the unit of work, so with fewer rows than cores (32 here) some cores stay idle:
// splitting a row between cores would make each later part re-read the part before it.

constexpr int32_t BUFFER_NUM = 2;  // two buffers per queue: copies overlap compute
constexpr uint32_t TILE = 4096;    // floats per chunk (16 KiB)
constexpr int64_t MAX_BLOCKS = 48; // one block per vector core

class KernelCumulativeMean {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, int64_t rows, int64_t cols) {
        // Rows split as evenly as possible: the first rows % blocks blocks get one more.
        int64_t base = rows / GetBlockNum(), extra = rows % GetBlockNum(), idx = GetBlockIdx();
        int64_t rowStart = idx * base + (idx < extra ? idx : extra);
        rowCount = base + (idx < extra ? 1 : 0);
        this->cols = cols;
        if (rowCount == 0) return;
        // This block's rows only: any access outside them is caught.
        xGm.SetGlobalBuffer((__gm__ float *)x + rowStart * cols, rowCount * cols);
        yGm.SetGlobalBuffer((__gm__ float *)y + rowStart * cols, rowCount * cols);
        pipe.InitBuffer(inQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(tmpBuf, TILE * sizeof(float));    // scan ping-pong scratch
        pipe.InitBuffer(countBuf, TILE * sizeof(float));  // 1, 2, 3, ..., TILE
    }

    __aicore__ inline void Process() {
        if (rowCount == 0) return;
        BuildCounts();
        for (int64_t r = 0; r < rowCount; ++r) {
            float carry = 0.0f;  // sum of the row's earlier chunks
            for (int64_t done = 0; done < cols; done += TILE) {
                uint32_t count = cols - done < TILE ? uint32_t(cols - done) : TILE;
                int64_t offset = r * cols + done;
                CopyIn(offset, count);
                carry = Compute(done, count, carry);
                CopyOut(offset, count);
            }
        }
    }

  private:
    // counts[i] = i + 1, by doubling: set counts[0] = 1, then counts[len..2*len) = counts[0..len) + len.
    __aicore__ inline void BuildCounts() {
        LocalTensor<float> counts = countBuf.Get<float>();
        Duplicate(counts, 1.0f, 1);
        for (uint32_t len = 1; len < TILE; len <<= 1) {
            uint32_t n = TILE - len < len ? TILE - len : len;
            Adds(counts[len], counts, float(len), n);
        }
    }

    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> x = inQueue.AllocTensor<float>();
        if (count % 8 == 0) {
            DataCopy(x, xGm[offset], count);  // whole 32-byte blocks (8 floats)
        } else {
            DataCopyPad(x, xGm[offset], DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0},
                        DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        inQueue.EnQue(x);
    }

    // Inclusive prefix sum of src[0..n) into dst: pass s adds to every element the one s
    // places back (b[i] = a[i] + a[i - s]), so after the passes s = 1, 2, 4, ... each element
    // holds the sum of everything up to it. A pass must not read what it writes, so the
    // passes alternate between dst and tmp, starting so that the last one lands in dst.
    __aicore__ inline void Scan(const LocalTensor<float> &dst, const LocalTensor<float> &src,
                                const LocalTensor<float> &tmp, uint32_t n) {
        int32_t passes = 0;
        for (uint32_t s = 1; s < n; s <<= 1) ++passes;
        if (passes == 0) {
            Adds(dst, src, 0.0f, n);  // a copy of any length (DataCopy needs whole 32-byte blocks)
            return;
        }
        LocalTensor<float> a = src;
        bool toDst = passes % 2 == 1;
        for (uint32_t s = 1; s < n; s <<= 1) {
            LocalTensor<float> b = toDst ? dst : tmp;
            Adds(b, a, 0.0f, s);        // the first s elements have nothing s places back
            Add(b[s], a[s], a, n - s);  // the rest: one vector Add
            a = b;
            toDst = !toDst;
        }
    }

    // y = (running sum) / (column + 1) for the chunk at column `done` of the row; returns
    // the running sum at the chunk's end.
    __aicore__ inline float Compute(int64_t done, uint32_t count, float carry) {
        LocalTensor<float> x = inQueue.DeQue<float>();
        LocalTensor<float> y = outQueue.AllocTensor<float>();
        LocalTensor<float> tmp = tmpBuf.Get<float>();
        Scan(y, x, tmp, count);
        if (carry != 0.0f) Adds(y, y, carry, count);
        float total = y.GetValue(count - 1);  // one scalar read per chunk
        LocalTensor<float> counts = countBuf.Get<float>();
        if (done == 0) {
            Div(y, y, counts, count);
        } else {
            Adds(tmp, counts, float(done), count);  // done + 1, done + 2, ...
            Div(y, y, tmp, count);
        }
        outQueue.EnQue(y);
        inQueue.FreeTensor(x);
        return total;
    }

    __aicore__ inline void CopyOut(int64_t offset, uint32_t count) {
        LocalTensor<float> y = outQueue.DeQue<float>();
        if (count % 8 == 0) {
            DataCopy(yGm[offset], y, count);
        } else {
            DataCopyPad(yGm[offset], y, DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0});
        }
        outQueue.FreeTensor(y);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> tmpBuf, countBuf;
    GlobalTensor<float> xGm, yGm;
    int64_t rowCount = 0, cols = 0;
};

extern "C" __global__ __aicore__ void cumulative_mean_kernel(GM_ADDR x, GM_ADDR y, int64_t rows, int64_t cols) {
    KernelCumulativeMean op;
    op.Init(x, y, rows, cols);
    op.Process();
}

// Host side: checks the tensors, picks the block count and launches; no data is touched here.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].dtype != KB_F32 || in[0].ndim != 2) return 1;
    int64_t rows = in[0].shape[0], cols = in[0].shape[1];
    if (rows == 0 || cols == 0) return 0;
    int64_t blocks = rows < MAX_BLOCKS ? rows : MAX_BLOCKS;  // a row is the unit of work
    cumulative_mean_kernel<<<blocks, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)out[0].data, rows, cols);
    return 0;
}
