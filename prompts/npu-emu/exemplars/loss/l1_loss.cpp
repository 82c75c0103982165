#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// mean(|p - t|) to a 0-d output. The result is one float and there is no workspace, so
// partial sums of several blocks would have nowhere to meet: one block streams both
// tensors through double-buffered queues and keeps a tile-wide vector of running sums
// (each lane adds only a few values, which keeps float rounding small); one ReduceSum at
// the end folds the lanes.

constexpr int32_t BUFFER_NUM = 2;
constexpr uint32_t TILE = 8192;

class KernelL1Loss {
  public:
    __aicore__ inline void Init(GM_ADDR p, GM_ADDR t, GM_ADDR loss, int64_t total) {
        length = total;
        pGm.SetGlobalBuffer((__gm__ float *)p, total);
        tGm.SetGlobalBuffer((__gm__ float *)t, total);
        lossGm.SetGlobalBuffer((__gm__ float *)loss, 1);
        pipe.InitBuffer(pQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(tQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, 32);  // one float, rounded up to a 32-byte block
        pipe.InitBuffer(accBuf, TILE * sizeof(float));
        pipe.InitBuffer(workBuf, 32);
    }

    __aicore__ inline void Process() {
        LocalTensor<float> acc = accBuf.Get<float>();
        Duplicate(acc, 0.0f, TILE);
        for (int64_t done = 0; done < length; done += TILE) {
            uint32_t count = length - done < TILE ? uint32_t(length - done) : TILE;
            CopyIn(done, count);
            Compute(acc, count);
        }
        // Fold the lanes, divide by n and write the scalar with a 4-byte DataCopyPad.
        LocalTensor<float> out = outQueue.AllocTensor<float>();
        ReduceSum(out, acc, workBuf.Get<float>(), TILE);
        Muls(out, out, 1.0f / float(length), 1);
        outQueue.EnQue(out);
        out = outQueue.DeQue<float>();
        DataCopyPad(lossGm, out, DataCopyExtParams{1, uint32_t(sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(out);
    }

  private:
    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> p = pQueue.AllocTensor<float>();
        LocalTensor<float> t = tQueue.AllocTensor<float>();
        if (count == TILE) {
            DataCopy(p, pGm[offset], count);
            DataCopy(t, tGm[offset], count);
        } else {
            // The tail: any length, with DataCopyPad.
            DataCopyExtParams params{1, uint32_t(count * sizeof(float)), 0, 0, 0};
            DataCopyPad(p, pGm[offset], params, DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
            DataCopyPad(t, tGm[offset], params, DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        pQueue.EnQue(p);
        tQueue.EnQue(t);
    }

    __aicore__ inline void Compute(const LocalTensor<float> &acc, uint32_t count) {
        LocalTensor<float> p = pQueue.DeQue<float>();
        LocalTensor<float> t = tQueue.DeQue<float>();
        Sub(p, p, t, count);
        Abs(p, p, count);
        Add(acc, acc, p, count);  // lanes past `count` keep their sums
        pQueue.FreeTensor(p);
        tQueue.FreeTensor(t);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> pQueue, tQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> accBuf, workBuf;
    GlobalTensor<float> pGm, tGm, lossGm;
    int64_t length = 0;
};

extern "C" __global__ __aicore__ void l1_loss_kernel(GM_ADDR p, GM_ADDR t, GM_ADDR loss, int64_t total) {
    KernelL1Loss op;
    op.Init(p, t, loss, total);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_F32) return 1;
    int64_t total = kb_numel(&in[0]);
    if (total == 0 || kb_numel(&in[1]) != total || kb_numel(&out[0]) != 1) return 1;
    l1_loss_kernel<<<1, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)out[0].data, total);
    return 0;
}
