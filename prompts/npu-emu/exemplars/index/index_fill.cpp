#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// x.index_fill(1, idx, -1.0) on a [rows, cols] tensor: the listed columns become -1.
// Each block first turns the int64 indices into a column mask (one bit per column, 1 =
// keep x), reading the few indices as scalars; then it streams its range of rows through
// double-buffered queues and applies the mask to each row with one Select (mask bit ?
// x : -1). The rows are split into one contiguous range per block over all 48 vector cores.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t BLOCKS = 48;
constexpr uint32_t TILE = 4096;      // floats per tile: as many whole rows as fit
constexpr int64_t MAX_COLS = 8192;   // a single row must fit one tile buffer
constexpr int64_t MAX_INDICES = 4096;
constexpr float FILL = -1.0f;

class KernelIndexFill {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR idx, GM_ADDR y, int64_t rows, int64_t cols, int64_t k) {
        this->cols = cols;
        this->k = k;
        int64_t per = (rows + GetBlockNum() - 1) / GetBlockNum();
        rowStart = per * GetBlockIdx();
        int64_t end = rowStart + per < rows ? rowStart + per : rows;
        rowCount = end > rowStart ? end - rowStart : 0;
        if (rowCount == 0) return;
        tileRows = cols < TILE ? TILE / cols : 1;
        xGm.SetGlobalBuffer((__gm__ float *)x, rows * cols);
        yGm.SetGlobalBuffer((__gm__ float *)y, rows * cols);
        idxGm.SetGlobalBuffer((__gm__ int64_t *)idx, k);
        uint32_t tileBytes = uint32_t(tileRows * cols * sizeof(float));
        pipe.InitBuffer(xQueue, BUFFER_NUM, tileBytes);
        pipe.InitBuffer(yQueue, BUFFER_NUM, tileBytes);
        pipe.InitBuffer(idxQueue, BUFFER_NUM, uint32_t(k * sizeof(int64_t)));
        maskBytes = uint32_t((cols + 7) / 8);
        pipe.InitBuffer(maskBuf, maskBytes);
    }

    __aicore__ inline void Process() {
        if (rowCount == 0) return;
        BuildMask();
        for (int64_t r = rowStart; r < rowStart + rowCount; r += tileRows) {
            int64_t n = rowStart + rowCount - r < tileRows ? rowStart + rowCount - r : tileRows;
            CopyIn(r, n);
            Compute(n);
            CopyOut(r, n);
        }
    }

  private:
    // All bits 1, then clear the bit of every listed column. An index outside [0, cols)
    // is an error, as in PyTorch: it is sent past the mask, where the bounds check of
    // GetValue stops the kernel.
    __aicore__ inline void BuildMask() {
        LocalTensor<uint8_t> mask = maskBuf.Get<uint8_t>(maskBytes);
        Duplicate(mask, uint8_t(0xFF), int32_t(maskBytes));
        LocalTensor<int64_t> ids = idxQueue.AllocTensor<int64_t>();
        DataCopyPad(ids, idxGm, DataCopyExtParams{1, uint32_t(k * sizeof(int64_t)), 0, 0, 0},
                    DataCopyPadExtParams<int64_t>{false, 0, 0, 0});
        idxQueue.EnQue(ids);
        ids = idxQueue.DeQue<int64_t>();
        for (int64_t i = 0; i < k; ++i) {
            int64_t j = ids.GetValue(uint32_t(i));
            uint32_t byte = j >= 0 && j < cols ? uint32_t(j / 8) : maskBytes;
            mask.SetValue(byte, uint8_t(mask.GetValue(byte) & ~(1u << (j % 8))));
        }
        idxQueue.FreeTensor(ids);
    }

    __aicore__ inline void CopyIn(int64_t r, int64_t n) {
        LocalTensor<float> x = xQueue.AllocTensor<float>();
        DataCopyPad(x, xGm[r * cols], DataCopyExtParams{1, uint32_t(n * cols * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        xQueue.EnQue(x);
    }

    __aicore__ inline void Compute(int64_t n) {
        LocalTensor<float> x = xQueue.DeQue<float>();
        LocalTensor<float> y = yQueue.AllocTensor<float>();
        LocalTensor<uint8_t> mask = maskBuf.Get<uint8_t>(maskBytes);
        // The same column mask for every row of the tile.
        for (int64_t i = 0; i < n; ++i) {
            uint32_t at = uint32_t(i * cols);
            Select(y[at], mask, x[at], FILL, SELMODE::VSEL_TENSOR_SCALAR_MODE, int32_t(cols));
        }
        yQueue.EnQue(y);
        xQueue.FreeTensor(x);
    }

    __aicore__ inline void CopyOut(int64_t r, int64_t n) {
        LocalTensor<float> y = yQueue.DeQue<float>();
        DataCopyPad(yGm[r * cols], y, DataCopyExtParams{1, uint32_t(n * cols * sizeof(float)), 0, 0, 0});
        yQueue.FreeTensor(y);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> xQueue, idxQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> yQueue;
    TBuf<TPosition::VECCALC> maskBuf;
    GlobalTensor<float> xGm, yGm;
    GlobalTensor<int64_t> idxGm;
    int64_t cols = 0, k = 0, rowStart = 0, rowCount = 0, tileRows = 1;
    uint32_t maskBytes = 0;
};

extern "C" __global__ __aicore__ void index_fill_kernel(GM_ADDR x, GM_ADDR idx, GM_ADDR y, int64_t rows, int64_t cols,
                                                        int64_t k) {
    KernelIndexFill op;
    op.Init(x, idx, y, rows, cols, k);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_I64 || in[0].ndim != 2) return 1;
    const int64_t rows = in[0].shape[0], cols = in[0].shape[1], k = kb_numel(&in[1]);
    if (rows == 0 || cols == 0 || cols > MAX_COLS || k == 0 || k > MAX_INDICES) return 1;
    index_fill_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)out[0].data,
                                                    rows, cols, k);
    return 0;
}
