#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// One Lion step, fused into a single elementwise pass:
//   c = beta1 * m + (1 - beta1) * g;  y = p - lr * (sign(c) + wd * p).
// The elements are split into one contiguous range per block over all 48 vector cores;
// each block streams p, g and m through double-buffered queues in tiles of 4096 floats.
// There is no Sign instruction: it is built from Compare (bit masks) and Select.

constexpr int32_t BUFFER_NUM = 2;
constexpr uint32_t TILE = 4096;
constexpr int64_t BLOCKS = 48;

// The module's hyperparameters; 1 - beta1 is taken in double and rounded once, as
// PyTorch takes it (0.1f, not 1.0f - 0.9f).
constexpr double LR = 1e-2, BETA1 = 0.9, WEIGHT_DECAY = 0.1;

class KernelLion {
  public:
    __aicore__ inline void Init(GM_ADDR p, GM_ADDR g, GM_ADDR m, GM_ADDR y, int64_t total) {
        int64_t per = (total + GetBlockNum() - 1) / GetBlockNum();
        int64_t start = per * GetBlockIdx();
        int64_t end = start + per < total ? start + per : total;
        length = end > start ? end - start : 0;
        if (length == 0) return;
        pGm.SetGlobalBuffer((__gm__ float *)p + start, length);
        gGm.SetGlobalBuffer((__gm__ float *)g + start, length);
        mGm.SetGlobalBuffer((__gm__ float *)m + start, length);
        yGm.SetGlobalBuffer((__gm__ float *)y + start, length);
        pipe.InitBuffer(pQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(gQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(mQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(yQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(onesBuf, TILE * sizeof(float));
        pipe.InitBuffer(zerosBuf, TILE * sizeof(float));
        pipe.InitBuffer(maskBuf, TILE / 8);  // one bit per element
        // Constant operands, filled once per block.
        Duplicate(onesBuf.Get<float>(), 1.0f, TILE);
        Duplicate(zerosBuf.Get<float>(), 0.0f, TILE);
    }

    __aicore__ inline void Process() {
        for (int64_t done = 0; done < length; done += TILE) {
            uint32_t count = length - done < TILE ? uint32_t(length - done) : TILE;
            CopyIn(done, count);
            Compute(count);
            CopyOut(done, count);
        }
    }

  private:
    __aicore__ inline void Load(TQue<QuePosition::VECIN, BUFFER_NUM> &q, const GlobalTensor<float> &src, uint32_t count) {
        LocalTensor<float> t = q.AllocTensor<float>();
        if (count == TILE) {
            DataCopy(t, src, count);
        } else {
            DataCopyPad(t, src, DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0},
                        DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        q.EnQue(t);
    }

    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        Load(pQueue, pGm[offset], count);
        Load(gQueue, gGm[offset], count);
        Load(mQueue, mGm[offset], count);
    }

    __aicore__ inline void Compute(uint32_t count) {
        LocalTensor<float> p = pQueue.DeQue<float>();
        LocalTensor<float> g = gQueue.DeQue<float>();
        LocalTensor<float> m = mQueue.DeQue<float>();
        LocalTensor<float> y = yQueue.AllocTensor<float>();
        LocalTensor<float> ones = onesBuf.Get<float>(), zeros = zerosBuf.Get<float>();
        LocalTensor<uint8_t> mask = maskBuf.Get<uint8_t>();
        // c = beta1 * m + (1 - beta1) * g, in m's buffer.
        Muls(m, m, float(BETA1), count);
        Muls(g, g, float(1.0 - BETA1), count);
        Add(m, m, g, count);
        // sign(c): +1 where c > 0, else -1; then 0 where c == 0.
        Compare(mask, m, zeros, CMPMODE::GT, count);
        Select(g, mask, ones, -1.0f, SELMODE::VSEL_TENSOR_SCALAR_MODE, count);
        Compare(mask, m, zeros, CMPMODE::EQ, count);
        Select(g, mask, zeros, g, SELMODE::VSEL_TENSOR_TENSOR_MODE, count);
        // y = p - lr * (sign + wd * p)
        Muls(y, p, float(WEIGHT_DECAY), count);
        Add(y, y, g, count);
        Muls(y, y, float(LR), count);
        Sub(y, p, y, count);
        yQueue.EnQue(y);
        pQueue.FreeTensor(p);
        gQueue.FreeTensor(g);
        mQueue.FreeTensor(m);
    }

    __aicore__ inline void CopyOut(int64_t offset, uint32_t count) {
        LocalTensor<float> y = yQueue.DeQue<float>();
        if (count == TILE) {
            DataCopy(yGm[offset], y, count);
        } else {
            DataCopyPad(yGm[offset], y, DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0});
        }
        yQueue.FreeTensor(y);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> pQueue, gQueue, mQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> yQueue;
    TBuf<TPosition::VECCALC> onesBuf, zerosBuf, maskBuf;
    GlobalTensor<float> pGm, gGm, mGm, yGm;
    int64_t length = 0;
};

extern "C" __global__ __aicore__ void lion_kernel(GM_ADDR p, GM_ADDR g, GM_ADDR m, GM_ADDR y, int64_t total) {
    KernelLion op;
    op.Init(p, g, m, y, total);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 3 || n_out != 1) return 1;
    for (int i = 0; i < 3; ++i)
        if (in[i].dtype != KB_F32 || kb_numel(&in[i]) != kb_numel(&in[0])) return 1;
    lion_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)in[2].data,
                                              (GM_ADDR)out[0].data, kb_numel(&in[0]));
    return 0;
}
