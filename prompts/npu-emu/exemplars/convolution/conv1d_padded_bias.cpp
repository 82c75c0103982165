#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// Conv1d, stride 1, zero padding PAD, with bias: x [N, Ci, L], w [Co, Ci, K], b [Co],
// y [N, Co, OL]. Work is split by (batch n, group of output channels): a block loads
// x[n] (all Ci rows) and its channels' weights and biases into the Unified Buffer once,
// then builds each output row y[n, co, :] from the bias (Duplicate) plus, for every
// (input channel, tap), the input row shifted by the tap and scaled by the weight:
// Muls into a temporary, Add into the row. A tap that reaches into the zero padding is
// clipped to the outputs whose input lies inside the row (no padded copy needed).
// Output rows go back through a double-buffered queue.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t CORES = 48;
constexpr int64_t PAD = 1;

__aicore__ inline uint32_t Pad8(uint64_t n) { return uint32_t((n + 7) / 8 * 8); } // 32-byte rows

class KernelConv1d {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR w, GM_ADDR b, GM_ADDR y, int64_t Ci, int64_t L, int64_t Co,
                                int64_t K, int64_t OL, int64_t coSplits) {
        this->Ci = Ci;
        this->L = L;
        this->Co = Co;
        this->K = K;
        this->OL = OL;
        // Block (n, g): batch n, output channels [co0, co0 + coCount).
        n = GetBlockIdx() / coSplits;
        int64_t coPer = (Co + coSplits - 1) / coSplits;
        co0 = GetBlockIdx() % coSplits * coPer;
        coCount = co0 < Co ? (Co - co0 < coPer ? Co - co0 : coPer) : 0;
        if (coCount == 0) return;
        lPad = Pad8(L);
        wPad = Pad8(coCount * Ci * K);
        xGm.SetGlobalBuffer((__gm__ float *)x + n * Ci * L, Ci * L);
        wGm.SetGlobalBuffer((__gm__ float *)w + co0 * Ci * K, coCount * Ci * K);
        bGm.SetGlobalBuffer((__gm__ float *)b + co0, coCount);
        yGm.SetGlobalBuffer((__gm__ float *)y + (n * Co + co0) * OL, coCount * OL);
        // Two resident tensors in one queue of two buffers: x[n], and the weights followed
        // by the biases (every queue double-buffered, so copies overlap compute).
        uint32_t xLen = uint32_t(Ci) * lPad, pLen = wPad + Pad8(coCount);
        pipe.InitBuffer(residentQueue, BUFFER_NUM, (xLen > pLen ? xLen : pLen) * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, Pad8(OL) * sizeof(float));
        pipe.InitBuffer(tmpBuf, Pad8(OL) * sizeof(float));
    }

    __aicore__ inline void Process() {
        if (coCount == 0) return;
        CopyInResident();
        LocalTensor<float> xLocal = residentQueue.DeQue<float>();
        LocalTensor<float> params = residentQueue.DeQue<float>();
        for (int64_t c = 0; c < coCount; ++c) {
            Compute(xLocal, params, c);
            CopyOut(c);
        }
        residentQueue.FreeTensor(xLocal);
        residentQueue.FreeTensor(params);
    }

  private:
    __aicore__ inline void CopyInResident() {
        // Ci rows of L floats, each landing at a 32-byte boundary (rows lPad floats apart).
        LocalTensor<float> xLocal = residentQueue.AllocTensor<float>();
        DataCopyPad(xLocal, xGm, DataCopyExtParams{uint16_t(Ci), uint32_t(L * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        residentQueue.EnQue(xLocal);
        // Weights [coCount, Ci, K] at 0, biases at wPad.
        LocalTensor<float> params = residentQueue.AllocTensor<float>();
        DataCopyPad(params, wGm, DataCopyExtParams{1, uint32_t(coCount * Ci * K * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        DataCopyPad(params[wPad], bGm, DataCopyExtParams{1, uint32_t(coCount * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        residentQueue.EnQue(params);
    }

    // y[n, co0 + c, o] = b + sum_{ci, k} w[c, ci, k] * x[ci, o + k - PAD], inside the row.
    __aicore__ inline void Compute(const LocalTensor<float> &xLocal, const LocalTensor<float> &params, int64_t c) {
        LocalTensor<float> yLocal = outQueue.AllocTensor<float>();
        LocalTensor<float> tmp = tmpBuf.Get<float>();
        Duplicate(yLocal, params.GetValue(wPad + uint32_t(c)), int32_t(OL));
        for (int64_t ci = 0; ci < Ci; ++ci) {
            for (int64_t k = 0; k < K; ++k) {
                float wv = params.GetValue(uint32_t((c * Ci + ci) * K + k));
                int64_t shift = k - PAD;                       // input index = o + shift
                int64_t lo = shift < 0 ? -shift : 0;           // first o with o + shift >= 0
                int64_t hi = L - shift < OL ? L - shift : OL;  // o + shift < L
                if (hi <= lo) continue;
                int32_t count = int32_t(hi - lo);
                Muls(tmp[uint32_t(lo)], xLocal[uint32_t(ci * lPad + lo + shift)], wv, count);
                Add(yLocal[uint32_t(lo)], yLocal[uint32_t(lo)], tmp[uint32_t(lo)], count);
            }
        }
        outQueue.EnQue(yLocal);
    }

    __aicore__ inline void CopyOut(int64_t c) {
        LocalTensor<float> yLocal = outQueue.DeQue<float>();
        DataCopyPad(yGm[c * OL], yLocal, DataCopyExtParams{1, uint32_t(OL * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(yLocal);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> residentQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> tmpBuf;
    GlobalTensor<float> xGm, wGm, bGm, yGm;
    int64_t Ci = 0, L = 0, Co = 0, K = 0, OL = 0, n = 0, co0 = 0, coCount = 0;
    uint32_t lPad = 0, wPad = 0;
};

extern "C" __global__ __aicore__ void conv1d_kernel(GM_ADDR x, GM_ADDR w, GM_ADDR b, GM_ADDR y, int64_t Ci, int64_t L,
                                                    int64_t Co, int64_t K, int64_t OL, int64_t coSplits) {
    KernelConv1d op;
    op.Init(x, w, b, y, Ci, L, Co, K, OL, coSplits);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1 || in[0].ndim != 3 || in[1].ndim != 3) return 1;
    int64_t N = in[0].shape[0], Ci = in[0].shape[1], L = in[0].shape[2];
    int64_t Co = in[1].shape[0], K = in[1].shape[2], OL = out[0].shape[2];
    if (in[1].shape[1] != Ci || kb_numel(&in[2]) != Co || OL != L + 2 * PAD - K + 1) return 1;
    // Split each batch entry's output channels over the cores left per entry.
    int64_t coSplits = CORES / N > 1 ? CORES / N : 1;
    if (coSplits > Co) coSplits = Co;
    int64_t coPer = (Co + coSplits - 1) / coSplits;
    coSplits = (Co + coPer - 1) / coPer; // no block without a channel
    conv1d_kernel<<<N * coSplits, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)in[2].data,
                                                      (GM_ADDR)out[0].data, Ci, L, Co, K, OL, coSplits);
    return 0;
}
