#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// c = a + b, same shapes. The elements are split into one contiguous range per block over
// all 48 vector cores; each block streams its range through double-buffered queues
// (copy in -> compute -> copy out) in tiles of TILE floats. DataCopy moves whole 32-byte
// blocks only, so a tile shorter than TILE (the last one of a block) uses DataCopyPad.

constexpr int32_t BUFFER_NUM = 2;  // two buffers per queue: copies overlap compute
constexpr uint32_t TILE = 4096;    // floats per tile (16 KiB; 6 buffers = 96 KiB of UB)
constexpr int64_t BLOCKS = 48;     // one block per vector core

class KernelAdd {
  public:
    __aicore__ inline void Init(GM_ADDR a, GM_ADDR b, GM_ADDR c, int64_t total) {
        // This block's range [start, end) of the flat tensors.
        int64_t per = (total + GetBlockNum() - 1) / GetBlockNum();
        int64_t start = per * GetBlockIdx();
        int64_t end = start + per < total ? start + per : total;
        length = end > start ? end - start : 0;
        if (length == 0) return;
        // Each GlobalTensor covers only this block's range: every access stays inside it.
        aGm.SetGlobalBuffer((__gm__ float *)a + start, length);
        bGm.SetGlobalBuffer((__gm__ float *)b + start, length);
        cGm.SetGlobalBuffer((__gm__ float *)c + start, length);
        pipe.InitBuffer(inQueueA, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(inQueueB, BUFFER_NUM, TILE * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, TILE * sizeof(float));
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
    // GM -> UB: both operands of one tile.
    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> a = inQueueA.AllocTensor<float>();
        LocalTensor<float> b = inQueueB.AllocTensor<float>();
        if (count == TILE) {
            DataCopy(a, aGm[offset], count);
            DataCopy(b, bGm[offset], count);
        } else {
            DataCopyExtParams params{1, uint32_t(count * sizeof(float)), 0, 0, 0};
            DataCopyPad(a, aGm[offset], params, DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
            DataCopyPad(b, bGm[offset], params, DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        inQueueA.EnQue(a);
        inQueueB.EnQue(b);
    }

    // One vector instruction over the tile; the inputs are freed as soon as they are used.
    __aicore__ inline void Compute(uint32_t count) {
        LocalTensor<float> a = inQueueA.DeQue<float>();
        LocalTensor<float> b = inQueueB.DeQue<float>();
        LocalTensor<float> c = outQueue.AllocTensor<float>();
        Add(c, a, b, count);
        outQueue.EnQue(c);
        inQueueA.FreeTensor(a);
        inQueueB.FreeTensor(b);
    }

    // UB -> GM.
    __aicore__ inline void CopyOut(int64_t offset, uint32_t count) {
        LocalTensor<float> c = outQueue.DeQue<float>();
        if (count == TILE) {
            DataCopy(cGm[offset], c, count);
        } else {
            DataCopyPad(cGm[offset], c, DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0});
        }
        outQueue.FreeTensor(c);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueueA, inQueueB;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    GlobalTensor<float> aGm, bGm, cGm;
    int64_t length = 0;
};

extern "C" __global__ __aicore__ void elementwise_add_kernel(GM_ADDR a, GM_ADDR b, GM_ADDR c, int64_t total) {
    KernelAdd op;
    op.Init(a, b, c, total);
    op.Process();
}

// Host side: checks the inputs, then launches; the tiling is just the element count.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 2 || n_out != 1 || in[0].dtype != KB_F32 || in[1].dtype != KB_F32) return 1;
    int64_t total = kb_numel(&in[0]);
    if (kb_numel(&in[1]) != total) return 1;
    elementwise_add_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)in[1].data,
                                                         (GM_ADDR)out[0].data, total);
    return 0;
}
