#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// mean(|p - t|) to a 0-d output, over all 48 cores. A first launch zeroes the output
// (blocks of one launch run in no set order, so it cannot be done by one of them); then
// each block streams its own range of both tensors through double-buffered queues, keeps
// a tile-wide vector of running sums, folds it with ReduceSum, scales it by 1/n, and adds
// that partial mean into the output atomically.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t BLOCKS = 48;
// Five tile buffers (two double-buffered inputs and the accumulator) of 38 KiB each fill
// the 192 KiB Unified Buffer, leaving room for the small ones.
constexpr uint32_t TILE = 38 * 1024 / sizeof(float);
constexpr int64_t ALIGN = 32 / sizeof(float);  // floats per 32-byte block

class KernelL1Loss {
  public:
    __aicore__ inline void Init(GM_ADDR p, GM_ADDR t, GM_ADDR loss, int64_t total) {
        // Ranges of whole 32-byte blocks, so that only the very last tile can be ragged.
        int64_t per = (total + GetBlockNum() - 1) / GetBlockNum();
        per = (per + ALIGN - 1) / ALIGN * ALIGN;
        int64_t start = per * GetBlockIdx();
        int64_t end = start + per < total ? start + per : total;
        length = end > start ? end - start : 0;
        if (length == 0) return;
        scale = 1.0f / float(total);
        pGm.SetGlobalBuffer((__gm__ float *)p + start, length);
        tGm.SetGlobalBuffer((__gm__ float *)t + start, length);
        lossGm.SetGlobalBuffer((__gm__ float *)loss, 1);
        pipe.InitBuffer(pQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(tQueue, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, 32);  // one float, rounded up to a 32-byte block
        pipe.InitBuffer(accBuf, TILE * sizeof(float));
        pipe.InitBuffer(workBuf, 32);
    }

    __aicore__ inline void Process() {
        if (length == 0) return;
        uint32_t lanes = length < TILE ? uint32_t(length) : TILE;
        LocalTensor<float> acc = accBuf.Get<float>();
        Duplicate(acc, 0.0f, lanes);
        for (int64_t done = 0; done < length; done += TILE) {
            uint32_t count = length - done < TILE ? uint32_t(length - done) : TILE;
            CopyIn(done, count);
            Compute(acc, count);
        }
        // Fold the lanes, scale by 1/n and add the partial mean into the scalar.
        LocalTensor<float> out = outQueue.AllocTensor<float>();
        ReduceSum(out, acc, workBuf.Get<float>(), lanes);
        Muls(out, out, scale, 1);
        outQueue.EnQue(out);
        out = outQueue.DeQue<float>();
        SetAtomicAdd<float>();
        DataCopyPad(lossGm, out, DataCopyExtParams{1, uint32_t(sizeof(float)), 0, 0, 0});
        SetAtomicNone();
        outQueue.FreeTensor(out);
    }

  private:
    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> p = pQueue.AllocTensor<float>();
        LocalTensor<float> t = tQueue.AllocTensor<float>();
        if (count % ALIGN == 0) {
            DataCopy(p, pGm[offset], count);
            DataCopy(t, tGm[offset], count);
        } else {
            // The ragged tail: any length, with DataCopyPad.
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
    float scale = 0.0f;
};

// Launch 1 (one block): zero the output that the blocks of launch 2 add into.
extern "C" __global__ __aicore__ void zero_kernel(GM_ADDR loss) {
    GlobalTensor<float> lossGm;
    lossGm.SetGlobalBuffer((__gm__ float *)loss, 1);
    InitGlobalMemory(lossGm, 1, 0.0f);
}

// Launch 2 (48 blocks): each adds the mean's share of its range.
extern "C" __global__ __aicore__ void l1_loss_kernel(GM_ADDR p, GM_ADDR t, GM_ADDR loss, int64_t total) {
    KernelL1Loss op;
    op.Init(p, t, loss, total);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_F32) return 1;
    int64_t total = kb_numel(&in[0]);
    if (total == 0 || kb_numel(&in[1]) != total || kb_numel(&out[0]) != 1) return 1;
    zero_kernel<<<1, nullptr, nullptr>>>((GM_ADDR)out[0].data);
    l1_loss_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)out[0].data, total);
    return 0;
}
