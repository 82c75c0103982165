#include "kbench.h"
#include "kernel_operator.h"

using namespace AscendC;

// y = x + fc2(tanh(fc1(x))), x [M, D], fc1: W1 [H, D], b1 [H]; fc2: W2 [D, H], b2 [D].
// Both matrix products run on the cube, the bias, tanh and residual on the vector unit.
// y is split into a grid of regions, one per block (rows x cols, picked on the host by the
// cost model's estimate). A block needs h = tanh(x W1^T + b1) for its rows, all H columns.
// L0C leaves only through Fixpipe to GM, and there is no workspace: the block's own region
// of y is its scratch. So h is made cols columns at a time, each chunk going once around:
//   fc1 on the cube (x's rows stay in L1, W1's chunk rows stream) -> Fixpipe into the
//   block's region of y -> UB: + b1, tanh -> back to y -> L1 -> L0A,
// and fc2 accumulates that chunk's contribution, h[:, chunk] . W2[cols, chunk]^T, in a
// second L0C tile. At the end that tile goes to y and the vector unit adds b2 and x.
// Every block reads all of W1 (h is recomputed by the blocks that share rows) but only its
// columns of W2. Every queue has two buffers: the cost model overlaps copies with compute.

constexpr int32_t BUFFER_NUM = 2;
constexpr int64_t CORES = 48;
constexpr uint32_t K_STEP = 64;                    // fc1's K (= D) per Mmad
constexpr uint32_t L0_HALF = 65536 / 4 / 2;        // floats in one of two buffers of L0A or L0B
constexpr uint32_t L0C_QUARTER = 131072 / 4 / 4;   // floats in one of the four L0C buffers
constexpr uint32_t L1_FLOATS = 524288 / 4;
constexpr uint32_t UB_FLOATS = 196608 / 4;

__aicore__ inline uint32_t Pad8(uint64_t n) { return uint32_t((n + 7) / 8 * 8); } // 32-byte rows
__aicore__ inline int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Whether a rows x cols region fits the buffers of Init.
inline bool Fits(int64_t rows, int64_t cols, int64_t D, int64_t H) {
    int64_t l1 = 2 * rows * Pad8(D) + 2 * cols * Pad8(K_STEP) + 2 * rows * Pad8(cols) + 2 * cols * Pad8(cols);
    int64_t ub = 2 * Pad8(cols) + 3 * 2 * rows * Pad8(cols);
    return rows * K_STEP <= L0_HALF && rows * cols <= L0_HALF && K_STEP * cols <= L0_HALF &&
           cols * cols <= L0_HALF && rows * cols <= L0C_QUARTER && l1 <= L1_FLOATS && ub <= UB_FLOATS;
}

// The cost model's copy cycles for a rows x cols region (about 20 bytes a cycle): all of
// W1, this region's slice of W2, x's rows, the biases, four trips of each h element (to y,
// to the UB, back to y, to L1) and four of each y element (out, in with x, back).
inline double RegionCycles(int64_t rows, int64_t cols, int64_t D, int64_t H) {
    double bytes = 4.0 * (H * D + cols * H + rows * D + H + cols + 4 * rows * H + 4 * rows * cols);
    return bytes / (1.6e12 / 48 / 1.65e9);
}

class KernelResidualMlp {
  public:
    __aicore__ inline void Init(GM_ADDR x, GM_ADDR w1, GM_ADDR b1, GM_ADDR w2, GM_ADDR b2, GM_ADDR y, int64_t M,
                                int64_t D, int64_t H, int64_t rowSplits, int64_t colSplits) {
        this->D = D;
        this->H = H;
        // This block's region of y: rows [row0, row0 + rows) x columns [col0, col0 + cols).
        int64_t rowsPer = CeilDiv(M, rowSplits), colsPer = CeilDiv(D, colSplits);
        row0 = GetBlockIdx() / colSplits * rowsPer;
        col0 = GetBlockIdx() % colSplits * colsPer;
        rows = row0 < M ? uint32_t(M - row0 < rowsPer ? M - row0 : rowsPer) : 0;
        cols = col0 < D ? uint32_t(D - col0 < colsPer ? D - col0 : colsPer) : 0;
        if (rows == 0 || cols == 0) return;
        xGm.SetGlobalBuffer((__gm__ float *)x, M * D);
        w1Gm.SetGlobalBuffer((__gm__ float *)w1, H * D);
        b1Gm.SetGlobalBuffer((__gm__ float *)b1, H);
        w2Gm.SetGlobalBuffer((__gm__ float *)w2, D * H);
        b2Gm.SetGlobalBuffer((__gm__ float *)b2, D);
        yGm.SetGlobalBuffer((__gm__ float *)y, M * D);
        uint32_t tile = rows * Pad8(cols); // a rows x cols tile in L1 or the UB (rows 32-byte aligned)
        pipe.InitBuffer(xQueue, BUFFER_NUM, rows * Pad8(D) * sizeof(float));
        pipe.InitBuffer(w1Queue, BUFFER_NUM, cols * Pad8(K_STEP) * sizeof(float));
        pipe.InitBuffer(hQueue, BUFFER_NUM, tile * sizeof(float));
        pipe.InitBuffer(w2Queue, BUFFER_NUM, cols * Pad8(cols) * sizeof(float));
        pipe.InitBuffer(aQueue, BUFFER_NUM, L0_HALF * sizeof(float));
        pipe.InitBuffer(bQueue, BUFFER_NUM, L0_HALF * sizeof(float));
        pipe.InitBuffer(hAccQueue, BUFFER_NUM, rows * cols * sizeof(float));
        pipe.InitBuffer(yAccQueue, BUFFER_NUM, rows * cols * sizeof(float));
        pipe.InitBuffer(biasQueue, BUFFER_NUM, Pad8(cols) * sizeof(float));
        pipe.InitBuffer(inQueue, BUFFER_NUM, tile * sizeof(float));
        pipe.InitBuffer(residQueue, BUFFER_NUM, tile * sizeof(float));
        pipe.InitBuffer(outQueue, BUFFER_NUM, tile * sizeof(float));
    }

    __aicore__ inline void Process() {
        if (rows == 0 || cols == 0) return;
        // x's rows, resident in L1 for fc1.
        LocalTensor<float> x1 = xQueue.AllocTensor<float>();
        DataCopyPad(x1, xGm[row0 * D], DataCopyExtParams{uint16_t(rows), uint32_t(D * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        xQueue.EnQue(x1);
        x1 = xQueue.DeQue<float>();
        LocalTensor<float> yAcc = yAccQueue.AllocTensor<float>();
        for (int64_t h0 = 0; h0 < H; h0 += cols) {
            uint32_t hc = H - h0 < cols ? uint32_t(H - h0) : cols;
            Fc1Chunk(x1, h0, hc);      // x . W1[h0 : h0 + hc]^T -> the region of y
            TanhChunk(h0, hc);         // + b1, tanh, in place in y
            Fc2Chunk(yAcc, h0, hc);    // yAcc (+)= h[:, h0 : h0 + hc] . W2[cols, h0 : h0 + hc]^T
        }
        yAccQueue.EnQue(yAcc);
        yAcc = yAccQueue.DeQue<float>();
        Fixpipe(yGm[row0 * D + col0], yAcc, FixpipeParamsV220{uint16_t(cols), uint16_t(rows), cols, uint32_t(D), false});
        yAccQueue.FreeTensor(yAcc);
        xQueue.FreeTensor(x1);
        Residual();
    }

  private:
    // h[:, h0 : h0 + hc] before the bias: K = D in steps of K_STEP, x's slice from L1 and
    // W1's rows h0 .. h0 + hc (contiguous along D, transposed by LoadData), then Fixpipe
    // into the block's region of y (rows D floats apart).
    __aicore__ inline void Fc1Chunk(const LocalTensor<float> &x1, int64_t h0, uint32_t hc) {
        LocalTensor<float> hAcc = hAccQueue.AllocTensor<float>();
        for (int64_t k = 0; k < D; k += K_STEP) {
            uint32_t kc = D - k < K_STEP ? uint32_t(D - k) : K_STEP;
            LocalTensor<float> w1 = w1Queue.AllocTensor<float>();
            DataCopyPad(w1, w1Gm[h0 * D + k],
                        DataCopyExtParams{uint16_t(hc), uint32_t(kc * sizeof(float)), uint32_t((D - kc) * sizeof(float)), 0, 0},
                        DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
            w1Queue.EnQue(w1);
            LocalTensor<float> a = aQueue.AllocTensor<float>();
            LoadData(a, x1[uint32_t(k)], LoadData2DParams{uint16_t(rows), uint16_t(kc), Pad8(D), false});
            aQueue.EnQue(a);
            w1 = w1Queue.DeQue<float>();
            LocalTensor<float> b = bQueue.AllocTensor<float>();
            LoadData(b, w1, LoadData2DParams{uint16_t(hc), uint16_t(kc), Pad8(kc), true});
            bQueue.EnQue(b);
            w1Queue.FreeTensor(w1);
            Multiply(hAcc, rows, hc, kc, k == 0);
        }
        hAccQueue.EnQue(hAcc);
        hAcc = hAccQueue.DeQue<float>();
        Fixpipe(yGm[row0 * D + col0], hAcc, FixpipeParamsV220{uint16_t(hc), uint16_t(rows), hc, uint32_t(D), false});
        hAccQueue.FreeTensor(hAcc);
    }

    // The chunk in y = tanh(chunk + b1[h0 : h0 + hc]), tanh(z) = 1 - 2 / (exp(2z) + 1) (there
    // is no Tanh instruction; exp overflowing to inf still gives 1).
    __aicore__ inline void TanhChunk(int64_t h0, uint32_t hc) {
        uint32_t hPad = Pad8(hc);
        LocalTensor<float> bias = LoadRow(b1Gm[h0], hc);
        LocalTensor<float> in = inQueue.AllocTensor<float>();
        DataCopyPad(in, yGm[row0 * D + col0], RegionRows(hc), DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(in);
        in = inQueue.DeQue<float>();
        LocalTensor<float> out = outQueue.AllocTensor<float>();
        for (uint32_t r = 0; r < rows; ++r) Add(out[r * hPad], in[r * hPad], bias, int32_t(hc));
        int32_t count = int32_t((rows - 1) * hPad + hc); // up to the last row's last column
        Muls(out, out, 2.0f, count);
        Exp(out, out, count);
        Adds(out, out, 1.0f, count);
        Reciprocal(out, out, count);
        Muls(out, out, -2.0f, count);
        Adds(out, out, 1.0f, count);
        outQueue.EnQue(out);
        inQueue.FreeTensor(in);
        biasQueue.FreeTensor(bias);
        StoreRegion(hc);
    }

    // yAcc (+)= h[:, h0 : h0 + hc] . W2[col0 : col0 + cols, h0 : h0 + hc]^T: the h chunk
    // from y into L1, W2's rows of this region (contiguous along H) transposed by LoadData.
    __aicore__ inline void Fc2Chunk(const LocalTensor<float> &yAcc, int64_t h0, uint32_t hc) {
        LocalTensor<float> h1 = hQueue.AllocTensor<float>();
        DataCopyPad(h1, yGm[row0 * D + col0], RegionRows(hc), DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        hQueue.EnQue(h1);
        LocalTensor<float> w2 = w2Queue.AllocTensor<float>();
        DataCopyPad(w2, w2Gm[col0 * H + h0],
                    DataCopyExtParams{uint16_t(cols), uint32_t(hc * sizeof(float)), uint32_t((H - hc) * sizeof(float)), 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        w2Queue.EnQue(w2);
        h1 = hQueue.DeQue<float>();
        LocalTensor<float> a = aQueue.AllocTensor<float>();
        LoadData(a, h1, LoadData2DParams{uint16_t(rows), uint16_t(hc), Pad8(hc), false});
        aQueue.EnQue(a);
        hQueue.FreeTensor(h1);
        w2 = w2Queue.DeQue<float>();
        LocalTensor<float> b = bQueue.AllocTensor<float>();
        LoadData(b, w2, LoadData2DParams{uint16_t(cols), uint16_t(hc), Pad8(hc), true});
        bQueue.EnQue(b);
        w2Queue.FreeTensor(w2);
        Multiply(yAcc, rows, cols, hc, h0 == 0);
    }

    // acc (m x n) = (first ? 0 : acc) + a . b, from the operands queued in L0A and L0B.
    __aicore__ inline void Multiply(const LocalTensor<float> &acc, uint32_t m, uint32_t n, uint32_t k, bool first) {
        LocalTensor<float> a = aQueue.DeQue<float>();
        LocalTensor<float> b = bQueue.DeQue<float>();
        MmadParams p;
        p.m = uint16_t(m);
        p.n = uint16_t(n);
        p.k = uint16_t(k);
        p.cmatrixInitVal = first;
        Mmad(acc, a, b, p);
        aQueue.FreeTensor(a);
        bQueue.FreeTensor(b);
    }

    // The region of y = fc2's product (there) + b2[cols] + x[rows, cols].
    __aicore__ inline void Residual() {
        uint32_t cPad = Pad8(cols);
        LocalTensor<float> bias = LoadRow(b2Gm[col0], cols);
        LocalTensor<float> in = inQueue.AllocTensor<float>();
        DataCopyPad(in, yGm[row0 * D + col0], RegionRows(cols), DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        inQueue.EnQue(in);
        LocalTensor<float> resid = residQueue.AllocTensor<float>();
        DataCopyPad(resid, xGm[row0 * D + col0], RegionRows(cols), DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        residQueue.EnQue(resid);
        in = inQueue.DeQue<float>();
        resid = residQueue.DeQue<float>();
        LocalTensor<float> out = outQueue.AllocTensor<float>();
        int32_t count = int32_t((rows - 1) * cPad + cols);
        Add(out, in, resid, count);
        for (uint32_t r = 0; r < rows; ++r) Add(out[r * cPad], out[r * cPad], bias, int32_t(cols));
        outQueue.EnQue(out);
        inQueue.FreeTensor(in);
        residQueue.FreeTensor(resid);
        biasQueue.FreeTensor(bias);
        StoreRegion(cols);
    }

    // `rows` rows of `width` floats of the region, D floats apart in GM.
    __aicore__ inline DataCopyExtParams RegionRows(uint32_t width) {
        return DataCopyExtParams{uint16_t(rows), uint32_t(width * sizeof(float)), uint32_t((D - width) * sizeof(float)), 0, 0};
    }

    // A row of n floats from GM into the UB, dequeued (the caller frees it).
    __aicore__ inline LocalTensor<float> LoadRow(const GlobalTensor<float> &src, uint32_t n) {
        LocalTensor<float> row = biasQueue.AllocTensor<float>();
        DataCopyPad(row, src, DataCopyExtParams{1, uint32_t(n * sizeof(float)), 0, 0, 0},
                    DataCopyPadExtParams<float>{false, 0, 0, 0.0f});
        biasQueue.EnQue(row);
        return biasQueue.DeQue<float>();
    }

    // The queued output tile (rows x width) to the region of y (for a copy out, dstStride is
    // the gap in GM in bytes).
    __aicore__ inline void StoreRegion(uint32_t width) {
        LocalTensor<float> out = outQueue.DeQue<float>();
        DataCopyPad(yGm[row0 * D + col0], out,
                    DataCopyExtParams{uint16_t(rows), uint32_t(width * sizeof(float)), 0, uint32_t((D - width) * sizeof(float)), 0});
        outQueue.FreeTensor(out);
    }

    TPipe pipe;
    TQue<QuePosition::A1, BUFFER_NUM> xQueue, hQueue;     // L1
    TQue<QuePosition::B1, BUFFER_NUM> w1Queue, w2Queue;   // L1
    TQue<QuePosition::A2, BUFFER_NUM> aQueue;             // L0A
    TQue<QuePosition::B2, BUFFER_NUM> bQueue;             // L0B
    TQue<QuePosition::CO1, BUFFER_NUM> hAccQueue, yAccQueue; // L0C
    TQue<QuePosition::VECIN, BUFFER_NUM> biasQueue, inQueue, residQueue;
    TQue<QuePosition::VECOUT, BUFFER_NUM> outQueue;
    GlobalTensor<float> xGm, w1Gm, b1Gm, w2Gm, b2Gm, yGm;
    int64_t D = 0, H = 0, row0 = 0, col0 = 0;
    uint32_t rows = 0, cols = 0;
};

extern "C" __global__ __aicore__ void residual_mlp_kernel(GM_ADDR x, GM_ADDR w1, GM_ADDR b1, GM_ADDR w2, GM_ADDR b2,
                                                          GM_ADDR y, int64_t M, int64_t D, int64_t H,
                                                          int64_t rowSplits, int64_t colSplits) {
    KernelResidualMlp op;
    op.Init(x, w1, b1, w2, b2, y, M, D, H, rowSplits, colSplits);
    op.Process();
}

extern "C" int kb_forward(const kb_tensor *in, int n_in, kb_tensor *out, int n_out) {
    if (n_in != 5 || n_out != 1 || in[0].ndim != 2 || in[1].ndim != 2 || in[3].ndim != 2) return 1;
    int64_t M = in[0].shape[0], D = in[0].shape[1], H = in[1].shape[0];
    if (in[1].shape[1] != D || kb_numel(&in[2]) != H || in[3].shape[0] != D || in[3].shape[1] != H ||
        kb_numel(&in[4]) != D)
        return 1;
    // Tiling: of the grids rowSplits x colSplits with at most 48 regions that fit the
    // buffers, the one with the fewest estimated cycles (here 8 x 6 regions of 4 x 22).
    int64_t rowSplits = 0, colSplits = 0;
    double best = -1;
    for (int64_t r = 1; r <= CORES && r <= M; ++r) {
        int64_t c = CORES / r < D ? CORES / r : D;
        int64_t rows = CeilDiv(M, r), cols = CeilDiv(D, c);
        if (!Fits(rows, cols, D, H)) continue;
        double cycles = RegionCycles(rows, cols, D, H);
        if (best < 0 || cycles < best) best = cycles, rowSplits = r, colSplits = c;
    }
    if (best < 0) return 1; // rows too long for this kernel's resident x rows
    residual_mlp_kernel<<<rowSplits * colSplits, nullptr, nullptr>>>(
        (GM_ADDR)in[0].data, (GM_ADDR)in[1].data, (GM_ADDR)in[2].data, (GM_ADDR)in[3].data, (GM_ADDR)in[4].data,
        (GM_ADDR)out[0].data, M, D, H, rowSplits, colSplits);
    return 0;
}
