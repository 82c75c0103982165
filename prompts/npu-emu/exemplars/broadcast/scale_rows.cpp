#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// y = x * s, x [R, C], s [R, 1]: every row of x scaled by its own s[r].
// The broadcast operand is one scalar per row, so it never needs a full tile of its own:
// each row's scale is read from global memory as a scalar (GetValue) and applied with
// Muls. The R * C elements are split into one contiguous range per block over all 48
// vector cores (even work however few rows there are: 64 rows would leave 48 cores
// unevenly loaded if split by rows); each block streams its range through double-buffered
// queues in tiles of TILE floats. A tile may start mid-row and cross row ends, so Compute
// walks it in row segments, one Muls per segment.

constexpr int32_t BUFFER_NUM = 2;  // two buffers per queue: copies overlap compute
constexpr uint32_t TILE = 4096;    // floats per tile
constexpr int64_t BLOCKS = 48;     // one block per vector core

class KernelScaleRows {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR s, GM_ADDR y, int64_t rows, int64_t cols) {
        this->cols = cols;
        int64_t total = rows * cols;
        int64_t per = (total + GetBlockNum() - 1) / GetBlockNum();
        start = per * GetBlockIdx();
        int64_t end = start + per < total ? start + per : total;
        length = end > start ? end - start : 0;
        if (length == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x + start, length);
        yGm.SetGlobalBuffer((__gm__ float *)y + start, length);
        sGm.SetGlobalBuffer((__gm__ float *)s, rows);  // all R scales; each block reads its rows'
        pipe.InitBuffer(inQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, TILE * sizeof(float));
    }

    __aicore__ inline void Process() {
        for (int64_t done = 0; done < length; done += TILE) {
            uint32_t count = length - done < TILE ? uint32_t(length - done) : TILE;
            CopyIn(done, count);
            Compute(done, count);
            CopyOut(done, count);
        }
    }

  private:
    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> x = inQueue.AllocTensor<float>();
        if (count == TILE) {
            DataCopy(x, xGm[offset], count);
        } else {  // a tail that is not whole 32-byte blocks: DataCopyPad takes any length
            DataCopyPad(x, xGm[offset], DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0},
                        DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        inQueue.EnQue(x);
    }

    // The tile holds flat elements [start + offset, start + offset + count): cut it at row
    // ends; each piece is one row's, scaled by that row's s.
    __aicore__ inline void Compute(int64_t offset, uint32_t count) {
        LocalTensor<float> x = inQueue.DeQue<float>();
        LocalTensor<float> y = outQueue.AllocTensor<float>();
        uint32_t i = 0;
        while (i < count) {
            int64_t flat = start + offset + i;      // flat index of the piece's first element
            int64_t row = flat / cols;
            int64_t rowLeft = (row + 1) * cols - flat;  // elements to the end of that row
            uint32_t n = rowLeft < int64_t(count - i) ? uint32_t(rowLeft) : count - i;
            float scale = sGm.GetValue(row);        // one scalar read per row piece
            Muls(y[i], x[i], scale, n);
            i += n;
        }
        outQueue.EnQue(y);
        inQueue.FreeTensor(x);
    }

    __aicore__ inline void CopyOut(int64_t offset, uint32_t count) {
        LocalTensor<float> y = outQueue.DeQue<float>();
        if (count == TILE) {
            DataCopy(yGm[offset], y, count);
        } else {
            DataCopyPad(yGm[offset], y, DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0});
        }
        outQueue.FreeTensor(y);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    GlobalTensor<float> xGm, sGm, yGm;
    int64_t start = 0, length = 0, cols = 1;
};

extern "C" __global__ __aicore__ void scale_rows_kernel(GM_ADDR x, GM_ADDR s, GM_ADDR y, int64_t rows, int64_t cols) {
    KernelScaleRows op;
    op.Init(x, s, y, rows, cols);
    op.Process();
}

// Host side: reads the shapes into the tiling (rows, cols) and launches.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_F32 || in[0].ndim != 2) return 1;
    int64_t rows = in[0].shape[0], cols = in[0].shape[1];
    if (kb_numel(&in[1]) != rows || rows * cols == 0) return 1;
    scale_rows_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data,
                                                    (GM_ADDR)out[0].data, rows, cols);
    return 0;
}
