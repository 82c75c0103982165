#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

constexpr int32_t BUFFER_NUM = 2;
constexpr uint32_t TILE = 4096;
constexpr int64_t BLOCKS = 48;

class KernelRelu6 {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, int64_t total) {
        int64_t per = (total + GetBlockNum() - 1) / GetBlockNum();
        int64_t start = per * GetBlockIdx();
        int64_t end = start + per < total ? start + per : total;
        length = end > start ? end - start : 0;
        if (length == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x + start, length);
        yGm.SetGlobalBuffer((__gm__ float *)y + start, length);
        pipe.InitBuffer(inQueue, BUFFER_NUM, TILE * sizeof(float));
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
    __aicore__ inline void CopyIn(int64_t offset, uint32_t count) {
        LocalTensor<float> x = inQueue.AllocTensor<float>();
        if (count == TILE) {
            DataCopy(x, xGm[offset], count);
        } else {
            DataCopyPad(x, xGm[offset], DataCopyExtParams{1, uint32_t(count * sizeof(float)), 0, 0, 0},
                        DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        }
        inQueue.EnQue(x);
    }

    __aicore__ inline void Compute(uint32_t count) {
        LocalTensor<float> x = inQueue.DeQue<float>();
        LocalTensor<float> y = outQueue.AllocTensor<float>();
        Relu(y, x, count);
        Mins(y, y, 6.0f, count);
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
    GlobalTensor<float> xGm, yGm;
    int64_t length = 0;
};

extern "C" __global__ __aicore__ void relu6_kernel(GM_ADDR x, GM_ADDR y, int64_t total) {
    KernelRelu6 op;
    op.Init(x, y, total);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].dtype != KB_F32) return 1;
    int64_t total = kb_numel(&in[0]);
    relu6_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)out[0].data, total);
    return 0;
}
