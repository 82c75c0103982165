#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// (x - min) / (max - min) per row of a [rows, cols] tensor. The rows are split into one
// contiguous range per block over all 48 vector cores; a whole row fits in the Unified
// Buffer, so each row is read once: ReduceMax gives the maximum, ReduceMax of -x gives
// minus the minimum (there is no ReduceMin), and two vector ops rescale the row.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t BLOCKS = 48;
constexpr int64_t MAX_COLS = 8192;  // five row buffers of 32 KiB fit the 192 KiB Unified Buffer

class KernelMinMaxNormalize {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, int64_t rows, int64_t cols) {
        this->cols = cols;
        int64_t per = (rows + GetBlockNum() - 1) / GetBlockNum();
        rowStart = per * GetBlockIdx();
        int64_t end = rowStart + per < rows ? rowStart + per : rows;
        rowCount = end > rowStart ? end - rowStart : 0;
        if (rowCount == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x, rows * cols);
        yGm.SetGlobalBuffer((__gm__ float *)y, rows * cols);
        uint32_t rowBytes = uint32_t(cols * sizeof(float));
        pipe.InitBuffer(inQueue, BUFFER_NUM, rowBytes);
        pipe.InitBuffer(outQueue, BUFFER_NUM, rowBytes);
        pipe.InitBuffer(negBuf, rowBytes);
        pipe.InitBuffer(redBuf, 32);   // ReduceMax's result (dst[0])
        pipe.InitBuffer(workBuf, 32);  // ReduceMax's scratch
    }

    __aicore__ inline void Process() {
        for (int64_t r = rowStart; r < rowStart + rowCount; ++r) {
            CopyIn(r);
            Compute();
            CopyOut(r);
        }
    }

  private:
    // A row of any length: DataCopyPad (DataCopy would need whole 32-byte blocks).
    __aicore__ inline void CopyIn(int64_t r) {
        LocalTensor<float> x = inQueue.AllocTensor<float>();
        DataCopyPad(x, xGm[r * cols], DataCopyExtParams{1, uint32_t(cols * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(x);
    }

    __aicore__ inline void Compute() {
        const int32_t n = int32_t(cols);
        LocalTensor<float> x = inQueue.DeQue<float>();
        LocalTensor<float> y = outQueue.AllocTensor<float>();
        LocalTensor<float> neg = negBuf.Get<float>(), red = redBuf.Get<float>(), work = workBuf.Get<float>();
        // Row maximum and minimum, read back as scalars.
        ReduceMax(red, x, work, n);
        float hi = red.GetValue(0);
        Muls(neg, x, -1.0f, n);
        ReduceMax(red, neg, work, n);
        float lo = -red.GetValue(0);
        // y = (x - lo) * (1 / (hi - lo))
        Adds(y, x, -lo, n);
        Muls(y, y, 1.0f / (hi - lo), n);
        outQueue.EnQue(y);
        inQueue.FreeTensor(x);
    }

    __aicore__ inline void CopyOut(int64_t r) {
        LocalTensor<float> y = outQueue.DeQue<float>();
        DataCopyPad(yGm[r * cols], y, DataCopyExtParams{1, uint32_t(cols * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(y);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> negBuf, redBuf, workBuf;
    GlobalTensor<float> xGm, yGm;
    int64_t cols = 0, rowStart = 0, rowCount = 0;
};

extern "C" __global__ __aicore__ void min_max_normalize_kernel(GM_ADDR x, GM_ADDR y, int64_t rows, int64_t cols) {
    KernelMinMaxNormalize op;
    op.Init(x, y, rows, cols);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].dtype != KB_F32 || in[0].ndim != 2) return 1;
    const int64_t rows = in[0].shape[0], cols = in[0].shape[1];
    // Five row-sized buffers (two in, two out, one scratch) must fit the Unified Buffer.
    if (rows == 0 || cols == 0 || cols > MAX_COLS) return 1;
    min_max_normalize_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)out[0].data, rows, cols);
    return 0;
}
