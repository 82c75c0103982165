#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// logsumexp over the middle dimension of x [B, R, C]: y[b, c] = log(sum_r exp(x[b, r, c])).
//
// Work split: the B * C outputs, flattened, are dealt out evenly over the vector cores, one
// contiguous range per block. A block walks its range in column segments [c, c + w) that
// stay inside one batch b. For a segment it streams the strided [rows, w] slabs
// x[b, r0..r0+rows, c..c+w) into the Unified Buffer, each with ONE DataCopyPad (blockCount =
// rows, blockLen = w floats, srcStride = the C - w floats skipped between rows; each row
// lands on a 32-byte boundary in the UB, so a slab row is `stride` = w rounded up to 8 floats).
//
// Math: the stable form m + log(sum exp(x - m)) with m the column maximum, computed online
// so that x is read once: per slab, m' = max(m, slab rows), s = s * exp(m - m') +
// sum over the slab's rows of exp(x - m'). All of it is w-wide vector instructions
// (one Max, Sub, Exp and Add per row), so the copies, not the vector unit, set the time.

constexpr int32_t BUFFER_NUM = 2;  // double-buffered queues: copies overlap compute
constexpr uint32_t MAX_W = 256;    // widest column segment, in floats
constexpr uint32_t SLAB = 16384;   // floats per slab buffer (64 KiB): 186 rows of 88 here
constexpr int64_t BLOCKS = 48;     // one block per vector core

class KernelLogSumExpDim1 {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, int64_t B, int64_t R, int64_t C) {
        this->R = R;
        this->C = C;
        int64_t total = B * C, base = total / GetBlockNum(), extra = total % GetBlockNum();
        int64_t idx = GetBlockIdx();
        outStart = idx * base + (idx < extra ? idx : extra);
        outCount = base + (idx < extra ? 1 : 0);
        if (outCount == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x, B * R * C);
        yGm.SetGlobalBuffer((__gm__ float *)y, total);
        pipe.InitBuffer(inQueue, BUFFER_NUM, SLAB * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, MAX_W * sizeof(float));
        pipe.InitBuffer(maxBuf, MAX_W * sizeof(float));   // running maximum m
        pipe.InitBuffer(sumBuf, MAX_W * sizeof(float));   // running sum s of exp(x - m)
        pipe.InitBuffer(newMaxBuf, MAX_W * sizeof(float));  // m' while a slab is folded in
        pipe.InitBuffer(tmpBuf, MAX_W * sizeof(float));
    }

    __aicore__ inline void Process() {
        int64_t pos = outStart, end = outStart + outCount;
        while (pos < end) {
            int64_t b = pos / C, c = pos % C;
            int64_t stop = (b + 1) * C < end ? (b + 1) * C : end;  // stay inside batch b
            uint32_t w = stop - pos < MAX_W ? uint32_t(stop - pos) : MAX_W;
            Segment(b, c, w);
            CopyOut(pos, w);
            pos += w;
        }
    }

  private:
    __aicore__ inline void Segment(int64_t b, int64_t c, uint32_t w) {
        uint32_t stride = (w + 7) / 8 * 8;  // a slab row's length in the UB
        int64_t slabRows = SLAB / stride;
        if (slabRows > 4095) slabRows = 4095;  // DataCopyPad's blockCount limit
        LocalTensor<float> m = maxBuf.Get<float>();
        LocalTensor<float> s = sumBuf.Get<float>();
        LocalTensor<float> mNew = newMaxBuf.Get<float>();
        LocalTensor<float> tmp = tmpBuf.Get<float>();
        for (int64_t r0 = 0; r0 < R; r0 += slabRows) {
            uint32_t rows = R - r0 < slabRows ? uint32_t(R - r0) : uint32_t(slabRows);
            CopyIn((b * R + r0) * C + c, rows, w);
            LocalTensor<float> slab = inQueue.DeQue<float>();
            if (r0 == 0) {
                // First slab: m starts as its row 0, s as 0.
                DataCopy(mNew, slab, stride);
                Duplicate(s, 0.0f, w);
            } else {
                // Later slab: s was summed against the old m, rescale it to the new one.
                DataCopy(mNew, m, stride);
            }
            for (uint32_t i = 0; i < rows; ++i) Max(mNew, mNew, slab[i * stride], w);
            if (r0 != 0) {
                Sub(tmp, m, mNew, w);
                Exp(tmp, tmp, w);
                Mul(s, s, tmp, w);  // s *= exp(m - m')
            }
            DataCopy(m, mNew, stride);
            for (uint32_t i = 0; i < rows; ++i) {
                Sub(tmp, slab[i * stride], m, w);
                Exp(tmp, tmp, w);
                Add(s, s, tmp, w);  // s += exp(x - m)
            }
            inQueue.FreeTensor(slab);
        }
        LocalTensor<float> yLocal = outQueue.AllocTensor<float>();
        Ln(tmp, s, w);
        Add(yLocal, m, tmp, w);  // y = m + log(s)
        outQueue.EnQue(yLocal);
    }

    // Loads x[row offset .. + rows, w columns] as `rows` blocks of w floats, C floats apart.
    __aicore__ inline void CopyIn(int64_t offset, uint32_t rows, uint32_t w) {
        LocalTensor<float> slab = inQueue.AllocTensor<float>();
        DataCopyPad(slab, xGm[offset],
                    DataCopyExtParams{uint16_t(rows), uint32_t(w * sizeof(float)),
                                      uint32_t((C - w) * sizeof(float)), 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(slab);
    }

    __aicore__ inline void CopyOut(int64_t pos, uint32_t w) {
        LocalTensor<float> yLocal = outQueue.DeQue<float>();
        DataCopyPad(yGm[pos], yLocal, DataCopyExtParams{1, uint32_t(w * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(yLocal);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> maxBuf, sumBuf, newMaxBuf, tmpBuf;
    GlobalTensor<float> xGm, yGm;
    int64_t R = 0, C = 0, outStart = 0, outCount = 0;
};

extern "C" __global__ __aicore__ void logsumexp_dim1_kernel(GM_ADDR x, GM_ADDR y, int64_t B, int64_t R, int64_t C) {
    KernelLogSumExpDim1 op;
    op.Init(x, y, B, R, C);
    op.Process();
}

// Host side: checks the tensors and launches; the kernel does all the reading and math.
extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].dtype != KB_F32 || in[0].ndim != 3) return 1;
    int64_t B = in[0].shape[0], R = in[0].shape[1], C = in[0].shape[2];
    if (B * C == 0) return 0;
    if (R == 0) return 1;
    logsumexp_dim1_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)out[0].data, B, R, C);
    return 0;
}
