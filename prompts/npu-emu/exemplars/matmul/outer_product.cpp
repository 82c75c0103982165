#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// C[i, j] = a[i] * b[j]. The M output rows are split into one contiguous range per block
// over all 48 vector cores. Each block loads b (the whole row vector) and its own slice
// of a into the Unified Buffer once; every output row is then one vector instruction,
// Muls(c_row, b, a[i]), with a[i] read as a scalar (GetValue) from the UB copy of a.
// Rows are written back in tiles of ROWS_PER_TILE rows through a double-buffered queue,
// so the copy-out of one tile overlaps the computation of the next.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t BLOCKS = 48;
constexpr uint32_t TILE_FLOATS = 8192; // the most floats of C one output tile holds (32 KiB)

class KernelOuterProduct {
  public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR b, GM_ADDR c, int64_t M, int64_t N) {
        this->N = N;
        int64_t per = (M + GetBlockNum() - 1) / GetBlockNum();
        row0 = per * GetBlockIdx();
        int64_t end = row0 + per < M ? row0 + per : M;
        rows = end > row0 ? end - row0 : 0;
        if (rows == 0) return;
        // A UB row starts on a 32-byte boundary: pad the row length to 8 floats.
        nPad = (N + 7) / 8 * 8;
        rowsPerTile = TILE_FLOATS / nPad;
        aGm.SetGlobalBuffer((__gm__ float *)a + row0, rows);
        bGm.SetGlobalBuffer((__gm__ float *)b, N);
        cGm.SetGlobalBuffer((__gm__ float *)c + row0 * N, rows * N);
        // a's slice and b are loaded once and stay resident: they share one queue of two
        // buffers (the cost model overlaps copies with compute only when every queue is
        // double-buffered).
        uint32_t vecLen = uint32_t(rows > nPad ? (rows + 7) / 8 * 8 : nPad);
        pipe.InitBuffer(inQueue, BUFFER_NUM, vecLen * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, rowsPerTile * nPad * sizeof(float));
    }

    __aicore__ inline void Process() {
        if (rows == 0) return;
        CopyInVectors();
        LocalTensor<float> aLocal = inQueue.DeQue<float>();
        LocalTensor<float> bLocal = inQueue.DeQue<float>();
        for (int64_t r = 0; r < rows; r += rowsPerTile) {
            uint32_t tileRows = rows - r < rowsPerTile ? uint32_t(rows - r) : rowsPerTile;
            Compute(aLocal, bLocal, r, tileRows);
            CopyOut(r, tileRows);
        }
        inQueue.FreeTensor(aLocal);
        inQueue.FreeTensor(bLocal);
    }

  private:
    // Any length: DataCopyPad (DataCopy needs whole 32-byte blocks).
    __aicore__ inline void CopyInVectors() {
        LocalTensor<float> aLocal = inQueue.AllocTensor<float>();
        DataCopyPad(aLocal, aGm, DataCopyExtParams{1, uint32_t(rows * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(aLocal);
        LocalTensor<float> bLocal = inQueue.AllocTensor<float>();
        DataCopyPad(bLocal, bGm, DataCopyExtParams{1, uint32_t(N * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(bLocal);
    }

    // One output row per instruction: c[r + i, :] = b * a[r + i].
    __aicore__ inline void Compute(const LocalTensor<float> &aLocal, const LocalTensor<float> &bLocal,
                                   int64_t r, uint32_t tileRows) {
        LocalTensor<float> cLocal = outQueue.AllocTensor<float>();
        for (uint32_t i = 0; i < tileRows; ++i) {
            float ai = aLocal.GetValue(uint32_t(r + i));
            Muls(cLocal[i * nPad], bLocal, ai, int32_t(N));
        }
        outQueue.EnQue(cLocal);
    }

    // tileRows rows of N floats, from UB rows of nPad floats to contiguous GM rows.
    __aicore__ inline void CopyOut(int64_t r, uint32_t tileRows) {
        LocalTensor<float> cLocal = outQueue.DeQue<float>();
        DataCopyPad(cGm[r * N], cLocal,
                    DataCopyExtParams{uint16_t(tileRows), uint32_t(N * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(cLocal);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    GlobalTensor<float> aGm, bGm, cGm;
    int64_t N = 0, row0 = 0, rows = 0;
    uint32_t nPad = 0, rowsPerTile = 0;
};

extern "C" __global__ __aicore__ void outer_product_kernel(GM_ADDR a, GM_ADDR b, GM_ADDR c, int64_t M, int64_t N) {
    KernelOuterProduct op;
    op.Init(a, b, c, M, N);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_F32) return 1;
    int64_t M = kb_numel(&in[0]), N = kb_numel(&in[1]);
    // One output row must fit a tile.
    if (N < 1 || (N + 7) / 8 * 8 > TILE_FLOATS) return 1;
    outer_product_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data,
                                                       (GM_ADDR)out[0].data, M, N);
    return 0;
}
