#include "kbench.h"
#include "kernel_operator.h"

#include <cmath>

using namespace AscendC;

// softmax(Q K^T / sqrt(D), dim=-1), q [B, Lq, D], k [B, Lk, D], weights [B, Lq, Lk].
// Work is split by (batch b, range of query rows), one range per block over all 48
// vector cores. A block keeps its query rows in the Unified Buffer and streams K[b]
// through a double-buffered queue, K_STEP key rows at a time: each score is a dot
// product of two contiguous rows, Mul then ReduceSum straight into its place in the
// output tile. With every score of a row in the tile, the softmax runs on the row:
// ReduceMax, subtract and scale, Exp, ReduceSum, multiply by the reciprocal. Rows too
// many for one tile are done in several tiles (K[b] streamed once per tile).

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t CORES = 48;
constexpr uint32_t K_STEP = 32;          // key rows per copy
constexpr uint32_t UB_FLOATS = 196608 / 4;

__aicore__ inline uint32_t Pad8(uint64_t n) { return uint32_t((n + 7) / 8 * 8); } // 32-byte rows

// The UB floats a block needs for tiles of tileRows query rows (keep in step with Init).
inline uint64_t UbFloats(uint64_t tileRows, uint64_t Lk, uint64_t D) {
    return BUFFER_NUM * (tileRows * Pad8(D) + K_STEP * Pad8(D) + tileRows * Pad8(Lk)) + Pad8(D) + Pad8(Lk) + 8;
}

class KernelAttentionWeights {
  public:
    __aicore__ inline void Init(GM_ADDR q, GM_ADDR k, GM_ADDR w, int64_t Lq, int64_t Lk, int64_t D,
                                int64_t qSplits, int64_t tileRows, float scale) {
        this->Lk = Lk;
        this->D = D;
        this->tileRows = tileRows;
        this->scale = scale;
        // Block (b, s): batch b, query rows [row0, row0 + rows).
        int64_t b = GetBlockIdx() / qSplits;
        int64_t rowsPer = (Lq + qSplits - 1) / qSplits;
        row0 = GetBlockIdx() % qSplits * rowsPer;
        rows = row0 < Lq ? (Lq - row0 < rowsPer ? Lq - row0 : rowsPer) : 0;
        if (rows == 0) return;
        dPad = Pad8(D);
        lkPad = Pad8(Lk);
        qGm.SetGlobalBuffer((__gm__ float *)q + (b * Lq + row0) * D, rows * D);
        kGm.SetGlobalBuffer((__gm__ float *)k + b * Lk * D, Lk * D);
        wGm.SetGlobalBuffer((__gm__ float *)w + (b * Lq + row0) * Lk, rows * Lk);
        // Every queue double-buffered: the cost model overlaps copies with compute only
        // when all of them are.
        pipe.InitBuffer(qQueue, BUFFER_NUM, tileRows * dPad * sizeof(float));
        pipe.InitBuffer(kQueue, BUFFER_NUM, K_STEP * dPad * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, tileRows * lkPad * sizeof(float));
        pipe.InitBuffer(prodBuf, dPad * sizeof(float));
        pipe.InitBuffer(workBuf, lkPad * sizeof(float));
        pipe.InitBuffer(statBuf, 8 * sizeof(float));
    }

    __aicore__ inline void Process() {
        for (int64_t r = 0; r < rows; r += tileRows) {
            uint32_t n = rows - r < tileRows ? uint32_t(rows - r) : uint32_t(tileRows);
            CopyInQuery(r, n);
            LocalTensor<float> qLocal = qQueue.DeQue<float>();
            LocalTensor<float> scores = outQueue.AllocTensor<float>();
            for (int64_t j0 = 0; j0 < Lk; j0 += K_STEP) {
                uint32_t step = Lk - j0 < K_STEP ? uint32_t(Lk - j0) : K_STEP;
                CopyInKeys(j0, step);
                ComputeScores(qLocal, scores, n, j0, step);
            }
            qQueue.FreeTensor(qLocal);
            for (uint32_t i = 0; i < n; ++i) Softmax(scores[i * lkPad]);
            outQueue.EnQue(scores);
            CopyOut(r, n);
        }
    }

  private:
    __aicore__ inline void CopyInQuery(int64_t r, uint32_t n) {
        LocalTensor<float> qLocal = qQueue.AllocTensor<float>();
        DataCopyPad(qLocal, qGm[r * D], DataCopyExtParams{uint16_t(n), uint32_t(D * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        qQueue.EnQue(qLocal);
    }

    __aicore__ inline void CopyInKeys(int64_t j0, uint32_t step) {
        LocalTensor<float> kLocal = kQueue.AllocTensor<float>();
        DataCopyPad(kLocal, kGm[j0 * D], DataCopyExtParams{uint16_t(step), uint32_t(D * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        kQueue.EnQue(kLocal);
    }

    // scores[i, j0 + j] = q_i . k_j (unscaled: the softmax scales after subtracting the max).
    __aicore__ inline void ComputeScores(const LocalTensor<float> &qLocal, const LocalTensor<float> &scores,
                                         uint32_t n, int64_t j0, uint32_t step) {
        LocalTensor<float> kLocal = kQueue.DeQue<float>();
        LocalTensor<float> prod = prodBuf.Get<float>();
        LocalTensor<float> work = workBuf.Get<float>();
        for (uint32_t j = 0; j < step; ++j) {
            for (uint32_t i = 0; i < n; ++i) {
                Mul(prod, qLocal[i * dPad], kLocal[j * dPad], int32_t(D));
                ReduceSum(scores[i * lkPad + uint32_t(j0) + j], prod, work, int32_t(D));
            }
        }
        kQueue.FreeTensor(kLocal);
    }

    // row = exp(scale * (row - max)) / sum, in place (scale > 0, so the max commutes).
    __aicore__ inline void Softmax(const LocalTensor<float> &row) {
        LocalTensor<float> work = workBuf.Get<float>();
        LocalTensor<float> stat = statBuf.Get<float>();
        int32_t n = int32_t(Lk);
        ReduceMax(stat, row, work, n);
        float rowMax = stat.GetValue(0);
        Adds(row, row, -rowMax, n);
        Muls(row, row, scale, n);
        Exp(row, row, n);
        ReduceSum(stat, row, work, n);
        float sum = stat.GetValue(0);
        Muls(row, row, 1.0f / sum, n);
    }

    __aicore__ inline void CopyOut(int64_t r, uint32_t n) {
        LocalTensor<float> scores = outQueue.DeQue<float>();
        DataCopyPad(wGm[r * Lk], scores, DataCopyExtParams{uint16_t(n), uint32_t(Lk * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(scores);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> qQueue, kQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> prodBuf, workBuf, statBuf;
    GlobalTensor<float> qGm, kGm, wGm;
    int64_t Lk = 0, D = 0, row0 = 0, rows = 0, tileRows = 0;
    uint32_t dPad = 0, lkPad = 0;
    float scale = 1.0f;
};

extern "C" __global__ __aicore__ void attention_weights_kernel(GM_ADDR q, GM_ADDR k, GM_ADDR w, int64_t Lq,
                                                               int64_t Lk, int64_t D, int64_t qSplits,
                                                               int64_t tileRows, float scale) {
    KernelAttentionWeights op;
    op.Init(q, k, w, Lq, Lk, D, qSplits, tileRows, scale);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].ndim != 3 || in[1].ndim != 3) return 1;
    int64_t B = in[0].shape[0], Lq = in[0].shape[1], D = in[0].shape[2], Lk = in[1].shape[1];
    if (in[1].shape[0] != B || in[1].shape[2] != D) return 1;
    // Each batch entry's query rows split over the cores left per entry.
    int64_t qSplits = CORES / B > 1 ? CORES / B : 1;
    if (qSplits > Lq) qSplits = Lq;
    int64_t rowsPer = (Lq + qSplits - 1) / qSplits;
    qSplits = (Lq + rowsPer - 1) / rowsPer; // no block without a row
    // As many rows per tile as the Unified Buffer holds.
    int64_t tileRows = rowsPer;
    while (tileRows > 0 && UbFloats(uint64_t(tileRows), uint64_t(Lk), uint64_t(D)) > UB_FLOATS) --tileRows;
    if (tileRows == 0) return 1; // a row of scores does not fit
    float scale = 1.0f / std::sqrt(float(D));
    attention_weights_kernel<<<B * qSplits, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data,
                                                                (GM_ADDR)out[0].data, Lq, Lk, D, qSplits, tileRows,
                                                                scale);
    return 0;
}
