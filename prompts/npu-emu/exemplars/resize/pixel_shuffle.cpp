#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// F.pixel_shuffle(x, 2): [N, 4C, H, W] -> [N, C, 2H, 2W], out[n, c, 2h + i, 2w + j] =
// x[n, 4c + 2i + j, h, w]. Output row 2h + i interleaves row h of input channels
// 4c + 2i (even columns) and 4c + 2i + 1 (odd columns).
//
// Work units are bands of input rows of one output plane (n, c), split evenly over all 48
// vector cores. One strided DataCopyPad loads the band's rows of the four input channels
// 4c .. 4c + 3 into four slices of the UB, SL floats apart. Each output row is one Gather
// from them: a table of byte offsets, built once per block, interleaves a row of slice 0
// and a row of slice 1 ([s0[0], s1[0], s0[1], s1[1], ...]), and the Gather's base offset
// moves it to the input row h and to slices 2 and 3 for i = 1. The band's output rows are
// contiguous in the output plane: one copy writes them.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t BLOCKS = 48;
constexpr int64_t MAX_BAND = 2048;  // input elements per channel in one band

class KernelPixelShuffle {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR y, int64_t planes, int64_t H, int64_t W, int64_t band) {
        this->H = H;
        this->W = W;
        this->band = band;
        SL = (band * W + 7) / 8 * 8;  // floats per channel slice: whole 32-byte blocks
        bands = (H + band - 1) / band;
        int64_t units = planes * bands;
        int64_t per = (units + GetBlockNum() - 1) / GetBlockNum();
        first = per * GetBlockIdx();
        int64_t end = first + per < units ? first + per : units;
        count = end > first ? end - first : 0;
        if (count == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x, planes * 4 * H * W);
        yGm.SetGlobalBuffer((__gm__ float *)y, planes * 4 * H * W);
        pipe.InitBuffer(inQueue, BUFFER_NUM, uint32_t(4 * SL * sizeof(float)));
        pipe.InitBuffer(outQueue, BUFFER_NUM, uint32_t(4 * band * W * sizeof(float)));
        pipe.InitBuffer(offBuf, uint32_t(2 * W * sizeof(uint32_t)));
        pipe.InitBuffer(idxBuf, uint32_t(2 * W * sizeof(uint32_t)));
        pipe.InitBuffer(oddBuf, uint32_t((2 * W + 7) / 8));
        BuildOffsets();
    }

    __aicore__ inline void Process() {
        for (int64_t u = first; u < first + count; ++u) {
            int64_t plane = u / bands, h0 = (u % bands) * band;
            int64_t rows = h0 + band < H ? band : H - h0;
            CopyIn(plane, h0, rows);
            Compute(rows);
            CopyOut(plane, h0, rows);
        }
    }

  private:
    // off[2w + j] = byte offset of element w of slice j: 4w for even lanes, 4 * (SL + w)
    // for odd ones. With p = 2 * (2w + j) that is p, or p + 4 * SL - 2: a Select on a
    // mask of the odd lanes picks between the two.
    __aicore__ inline void BuildOffsets() {
        const int32_t n = int32_t(2 * W);
        LocalTensor<uint32_t> off = offBuf.Get<uint32_t>(), p = idxBuf.Get<uint32_t>();
        LocalTensor<uint8_t> odd = oddBuf.Get<uint8_t>();
        Duplicate(odd, uint8_t(0xAA), int32_t((n + 7) / 8));  // bit j set for odd j
        CreateVecIndex(p, uint32_t(0), n);
        Muls(p, p, uint32_t(2), n);
        Adds(off, p, uint32_t(4 * SL - 2), n);
        Select(off, odd, off, p, SELMODE::VSEL_TENSOR_TENSOR_MODE, n);
    }

    // Rows [h0, h0 + rows) of the plane's four input channels: four blocks, H - rows rows
    // skipped between them in GM, each slice starting SL floats after the previous one.
    __aicore__ inline void CopyIn(int64_t plane, int64_t h0, int64_t rows) {
        LocalTensor<float> t = inQueue.AllocTensor<float>();
        const uint32_t bytes = uint32_t(rows * W * sizeof(float));
        const uint32_t gap = uint32_t(SL * sizeof(float) - (bytes + 31) / 32 * 32) / 32;
        DataCopyPad(t, xGm[(plane * 4 * H + h0) * W],
                    DataCopyExtParams{4, bytes, uint32_t((H - rows) * W * sizeof(float)), gap, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(t);
    }

    __aicore__ inline void Compute(int64_t rows) {
        LocalTensor<float> in = inQueue.DeQue<float>();
        LocalTensor<float> out = outQueue.AllocTensor<float>();
        LocalTensor<uint32_t> off = offBuf.Get<uint32_t>();
        const int64_t W2 = 2 * W;
        for (int64_t r = 0; r < rows; ++r) {
            for (int64_t i = 0; i < 2; ++i) {
                // Output row 2r + i: row r of slices 2i and 2i + 1.
                const uint32_t base = uint32_t((2 * i * SL + r * W) * sizeof(float));
                Gather(out[uint32_t((2 * r + i) * W2)], in, off, base, uint32_t(W2));
            }
        }
        inQueue.FreeTensor(in);
        outQueue.EnQue(out);
    }

    // Output rows [2 * h0, 2 * (h0 + rows)) of the plane, contiguous in GM.
    __aicore__ inline void CopyOut(int64_t plane, int64_t h0, int64_t rows) {
        LocalTensor<float> out = outQueue.DeQue<float>();
        DataCopyPad(yGm[(plane * 2 * H + 2 * h0) * 2 * W], out,
                    DataCopyExtParams{1, uint32_t(4 * rows * W * sizeof(float)), 0, 0, 0});
        outQueue.FreeTensor(out);
    }

    TPipe pipe;
    TQue<QuePosition::VECIN, BUFFER_NUM> inQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    TBuf<TPosition::VECCALC> offBuf, idxBuf, oddBuf;
    GlobalTensor<float> xGm, yGm;
    int64_t H = 0, W = 0, band = 0, SL = 0, bands = 0, first = 0, count = 0;
};

extern "C" __global__ __aicore__ void pixel_shuffle_kernel(GM_ADDR x, GM_ADDR y, int64_t planes, int64_t H, int64_t W,
                                                           int64_t band) {
    KernelPixelShuffle op;
    op.Init(x, y, planes, H, W, band);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 1 || n_out != 1 || in[0].dtype != KB_F32 || in[0].ndim != 4 || out[0].ndim != 4) return 1;
    const int64_t N = in[0].shape[0], C4 = in[0].shape[1], H = in[0].shape[2], W = in[0].shape[3];
    // Upscale factor 2 only.
    if (C4 % 4 != 0 || out[0].shape[2] != 2 * H || out[0].shape[3] != 2 * W || W > MAX_BAND) return 1;
    const int64_t planes = N * C4 / 4;  // output planes (n, c)
    if (planes == 0 || H == 0 || W == 0) return 1;
    // Bands small enough for the UB, and enough of them to give every core about 8 units.
    int64_t band = H;
    while (band > 1 && (band * W > MAX_BAND || planes * ((H + band - 1) / band) < 8 * BLOCKS)) band = (band + 1) / 2;
    pixel_shuffle_kernel<<<BLOCKS, nullptr, nullptr>>>((GM_ADDR)in[0].data, (GM_ADDR)out[0].data, planes, H, W, band);
    return 0;
}
