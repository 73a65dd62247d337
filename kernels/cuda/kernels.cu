// The CUDA kernels of cosmogan's GPU backend, one extern "C" entry point per
// operation, each the device counterpart of a CPU kernel of package kernels.
//
// Arguments are device pointers, long long and double only: gorgonia.org/cu
// passes every kernel argument as 8 bytes. Convolution geometry (17 values) is
// read from a small device array, see enum Geom.
//
// The same source compiles on the host for the CPU emulator of package
// kernels/cuda/emu (COSMOGAN_EMULATE), which runs every kernel in CI, where
// there is no GPU. Kernels must therefore reach every __syncthreads() from all
// threads of a block (no early return before a barrier), use shared memory only
// through __shared__ arrays, and avoid warp intrinsics.

#ifdef COSMOGAN_EMULATE
#include "emu.h"
#endif

typedef long long i64;

// Layout of a convolution's geometry array (int32). The "image" side has C
// channels (the input of a convolution, the output of a transposed one); the
// "column" side has O channels, one value per output position of the
// convolution. Spatial extents are (depth, height, width); 2D uses depth 1.
// The host checks that every index of a launch fits 32 bits.
enum Geom {
    gC = 0, gO = 1,
    gImg = 2,  // 3 values
    gCol = 5,  // 3 values
    gKer = 8,  // 3 values
    gStr = 11, // 3 values
    gPad = 14, // 3 values
    gLen = 17
};

// ---------------------------------------------------------------------------
// Tiled GEMM core: C(m, n) = Σ_k A(m, k)·B(k, n) over k in [k0, k1). A block of
// 256 threads computes a BM×BN tile of C, 16 values per thread, staging
// 16-deep slices of A and B in shared memory. BM is 64, 32 or 16, picked by
// the host from M (a convolution with one output channel would waste 63/64
// of a 64-row tile).
//
// The operands are loaders, so that convolutions gather them straight from
// the activations (implicit GEMM: no column matrix in device memory). Each
// thread always loads the same row m of A and column n of B, at consecutive
// k: a loader is told its line and first k once (start), then returns values
// (value) and moves along k (advance), so that the index arithmetic of a
// gather is done once per block, not once per value.

#define TILE_K 16
#define THREADS 256
#define MAX_TAPS 512

template <int BM, int BN, class LoadA, class LoadB, class Store>
__device__ void gemm_tile(int M, int N, int k0, int k1, LoadA &a, LoadB &b, Store store)
{
    constexpr int AR = TILE_K * BM / THREADS, BR = TILE_K * BN / THREADS; // k rows per thread
    __shared__ float As[TILE_K][BM];
    __shared__ float Bs[TILE_K][BN];
    const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
    const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
    const int am = tid % BM, ak = tid / BM * AR;
    const int bn = tid % BN, bk = tid / BN * BR;
    a.start(m0 + am, m0 + am < M, k0 + ak);
    b.start(n0 + bn, n0 + bn < N, k0 + bk);
    float acc[BM / 16][BN / 16];
    for (int i = 0; i < BM / 16; i++)
        for (int j = 0; j < BN / 16; j++)
            acc[i][j] = 0.f;
    for (int kt = k0; kt < k1; kt += TILE_K) {
        for (int r = 0; r < AR; r++) {
            As[ak + r][am] = kt + ak + r < k1 ? a.value() : 0.f;
            a.advance(1);
        }
        a.advance(TILE_K - AR);
        for (int r = 0; r < BR; r++) {
            Bs[bk + r][bn] = kt + bk + r < k1 ? b.value() : 0.f;
            b.advance(1);
        }
        b.advance(TILE_K - BR);
        __syncthreads();
        for (int kk = 0; kk < TILE_K; kk++) {
            float av[BM / 16], bv[BN / 16];
            for (int i = 0; i < BM / 16; i++)
                av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < BN / 16; j++)
                bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < BM / 16; i++)
                for (int j = 0; j < BN / 16; j++)
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < BM / 16; i++)
        for (int j = 0; j < BN / 16; j++) {
            int m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
            if (m < M && n < N)
                store(m, n, acc[i][j]);
        }
}

// gemm_any runs gemm_tile with the tile height the host chose (tile_m = 16,
// 32 or 64; every tile holds 4096 values).
template <class LoadA, class LoadB, class Store>
__device__ void gemm_any(i64 tile_m, int M, int N, int k0, int k1, LoadA &a, LoadB &b, Store store)
{
    if (tile_m == 16)
        gemm_tile<16, 256>(M, N, k0, k1, a, b, store);
    else if (tile_m == 32)
        gemm_tile<32, 128>(M, N, k0, k1, a, b, store);
    else
        gemm_tile<64, 64>(M, N, k0, k1, a, b, store);
}

// Strided loads element (line, k) of a matrix at p[line·line_stride + k·k_stride].
struct Strided {
    const float *p;
    i64 line_stride, k_stride;
    bool ok;
    __device__ void start(int line, bool valid, int k)
    {
        ok = valid;
        p += line * line_stride + k * k_stride;
    }
    __device__ float value() const { return ok ? *p : 0.f; }
    __device__ void advance(int d) { p += d * k_stride; }
};

// gemm: C = A·B (+ C when beta ≠ 0) (+ bias[n] when bias ≠ 0), with A(m, k) =
// a[m·sam + k·sak] and B(k, n) = b[k·sbk + n·sbn]: the strides express either
// operand transposed. Grid: (⌈N/BN⌉, ⌈M/BM⌉).
extern "C" __global__ void gemm(i64 tile_m, i64 M, i64 N, i64 K,
                                const float *a, i64 sam, i64 sak,
                                const float *b, i64 sbk, i64 sbn,
                                float *c, i64 ldc, i64 beta, const float *bias)
{
    Strided la = {a, sam, sak}, lb = {b, sbn, sbk};
    gemm_any(tile_m, M, N, 0, K, la, lb, [=](int m, int n, float v) {
        if (bias)
            v += bias[n];
        if (beta)
            v += c[m * ldc + n];
        c[m * ldc + n] = v;
    });
}

// Taps is a block's list of kernel taps, in shared memory: packed offsets
// (tz, ty, tx) and each tap's index in the weights. A convolution uses all
// taps; a data gradient only those of one parity class.
struct Taps {
    int n;
    int pos[MAX_TAPS]; // tz | ty << 10 | tx << 20
    int rel[MAX_TAPS]; // the same for (t − first)/step: the tap's rank in its class
    int idx[MAX_TAPS];
};

__device__ int tap_z(int packed) { return packed & 1023; }
__device__ int tap_y(int packed) { return packed >> 10 & 1023; }
__device__ int tap_x(int packed) { return packed >> 20; }

// load_taps fills taps with the taps t = first + step·j per axis (j ≥ 0, t <
// kernel): all of them with first 0 and step 1. Every thread must call it.
__device__ void load_taps(const int *g, Taps &taps, const int first[3], const int step[3])
{
    int cnt[3];
    for (int a = 0; a < 3; a++)
        cnt[a] = first[a] < g[gKer + a] ? (g[gKer + a] - first[a] + step[a] - 1) / step[a] : 0;
    if (threadIdx.x == 0)
        taps.n = cnt[0] * cnt[1] * cnt[2];
    for (int j = threadIdx.x; j < cnt[0] * cnt[1] * cnt[2]; j += THREADS) {
        int tz = first[0] + step[0] * (j / (cnt[1] * cnt[2]));
        int ty = first[1] + step[1] * (j / cnt[2] % cnt[1]);
        int tx = first[2] + step[2] * (j % cnt[2]);
        taps.pos[j] = tz | ty << 10 | tx << 20;
        taps.rel[j] = j / (cnt[1] * cnt[2]) | (j / cnt[2] % cnt[1]) << 10 | (j % cnt[2]) << 20;
        taps.idx[j] = (tz * g[gKer + 1] + ty) * g[gKer + 2] + tx;
    }
    __syncthreads();
}

__device__ void load_all_taps(const int *g, Taps &taps)
{
    const int first[3] = {0, 0, 0}, step[3] = {1, 1, 1};
    load_taps(g, taps, first, step);
}

__device__ int img_volume(const int *g) { return g[gImg] * g[gImg + 1] * g[gImg + 2]; }
__device__ int col_volume(const int *g) { return g[gCol] * g[gCol + 1] * g[gCol + 2]; }

// ImageAtColumn loads B of a convolution: line n = (sample, column position),
// k = (image channel, tap); the image value under the tap, 0 in the padding.
struct ImageAtColumn {
    const int *g;
    const Taps *taps;
    const float *x; // the sample's first channel once started
    int z0, y0, x0, c, t;
    bool ok;
    __device__ void start(int n, bool valid, int k)
    {
        ok = valid;
        const int P = col_volume(g), s = n / P, p = n % P;
        x += (i64)s * g[gC] * img_volume(g);
        z0 = p / (g[gCol + 1] * g[gCol + 2]) * g[gStr] - g[gPad];
        y0 = p / g[gCol + 2] % g[gCol + 1] * g[gStr + 1] - g[gPad + 1];
        x0 = p % g[gCol + 2] * g[gStr + 2] - g[gPad + 2];
        c = taps->n ? k / taps->n : 0;
        t = taps->n ? k % taps->n : 0;
    }
    __device__ float value() const
    {
        const int pk = taps->pos[t];
        const int iz = z0 + tap_z(pk), iy = y0 + tap_y(pk), ix = x0 + tap_x(pk);
        if (!ok || iz < 0 || iy < 0 || ix < 0 || iz >= g[gImg] || iy >= g[gImg + 1] || ix >= g[gImg + 2])
            return 0.f;
        return x[(i64)c * img_volume(g) + (iz * g[gImg + 1] + iy) * g[gImg + 2] + ix];
    }
    __device__ void advance(int d)
    {
        for (t += d; t >= taps->n; t -= taps->n)
            c++;
    }
};

// conv_fwd: y(s, o, p) = Σ_{c,t} w(o, c, t)·x(s, c, p·stride − pad + t) (+ bias[o]),
// the image → column direction: a convolution's forward pass, and a
// transposed convolution's input gradient. w is (O, C, taps).
// GEMM: M = O, N = batch·P, K = C·taps. Grid: (⌈N/BN⌉, ⌈M/BM⌉).
extern "C" __global__ void conv_fwd(i64 tile_m, const int *g, i64 batch, const float *w, const float *x,
                                    const float *bias, float *y)
{
    __shared__ Taps taps;
    load_all_taps(g, taps);
    const int P = col_volume(g), O = g[gO], K = g[gC] * taps.n;
    Strided la = {w, K, 1};
    ImageAtColumn lb = {g, &taps, x};
    gemm_any(tile_m, O, batch * P, 0, K, la, lb, [=](int m, int n, float v) {
        if (bias)
            v += bias[m];
        y[(i64)(n / P * O + m) * P + n % P] = v;
    });
}

// conv_bwd_data: dx(s, c, q) = Σ_{o,t} w(o, c, t)·dy(s, o, p) over the column
// positions p that tap t maps onto q (+ bias[c]), the column → image
// direction: a convolution's input gradient and a transposed convolution's
// forward pass.
//
// With stride s only the taps t ≡ q + pad (mod s) reach q, so the image
// positions are split into s^dim parity classes, one per gridDim.z, each an
// implicit GEMM over its own taps: M = C, N = batch·(positions of the class),
// K = O·(taps of the class). For the paper's 3D layers that is 8 taps of 64,
// where one GEMM over all taps would multiply zeros 7 times in 8.
struct ParityClass {
    int q0[3], n[3], base[3]; // first image position, count, and column offset per axis
    int volume;               // positions in the class
};

__device__ ParityClass parity_class(const int *g, int cls, int rho[3])
{
    ParityClass pc;
    int r = cls;
    for (int a = 2; a >= 0; a--) {
        const int s = g[gStr + a], pad = g[gPad + a], img = g[gImg + a];
        rho[a] = r % s;
        r /= s;
        // q ≡ ρ − pad (mod s); then (q + pad − t)/s = base + u − j for
        // q = q0 + s·u and t = ρ + s·j.
        pc.q0[a] = ((rho[a] - pad) % s + s) % s;
        pc.n[a] = pc.q0[a] < img ? (img - pc.q0[a] + s - 1) / s : 0;
        pc.base[a] = (pc.q0[a] + pad - rho[a]) / s;
    }
    pc.volume = pc.n[0] * pc.n[1] * pc.n[2];
    return pc;
}

// ColumnAtImage loads B of a data gradient for one parity class: line n =
// (sample, position u of the class), k = (column channel, tap j of the
// class); the column value that tap carries onto the position, or 0.
struct ColumnAtImage {
    const int *g;
    const Taps *taps;
    const ParityClass *pc;
    const float *y; // the sample's first channel once started
    int oz, oy, ox, o, j;
    bool ok;
    __device__ void start(int n, bool valid, int k)
    {
        ok = valid;
        const int V = pc->volume, s = n / V, u = n % V;
        y += (i64)s * g[gO] * col_volume(g);
        oz = pc->base[0] + u / (pc->n[1] * pc->n[2]);
        oy = pc->base[1] + u / pc->n[2] % pc->n[1];
        ox = pc->base[2] + u % pc->n[2];
        o = taps->n ? k / taps->n : 0; // a class without taps (stride > kernel) has K = 0
        j = taps->n ? k % taps->n : 0;
    }
    __device__ float value() const
    {
        const int pk = taps->rel[j];
        const int cz = oz - tap_z(pk), cy = oy - tap_y(pk), cx = ox - tap_x(pk);
        if (!ok || cz < 0 || cy < 0 || cx < 0 || cz >= g[gCol] || cy >= g[gCol + 1] || cx >= g[gCol + 2])
            return 0.f;
        return y[(i64)o * col_volume(g) + (cz * g[gCol + 1] + cy) * g[gCol + 2] + cx];
    }
    __device__ void advance(int d)
    {
        for (j += d; j >= taps->n; j -= taps->n)
            o++;
    }
};

// ClassWeights loads A of a data gradient: w(o, c, t) at line c, k = (o, j)
// for the class's tap j.
struct ClassWeights {
    const int *g;
    const Taps *taps;
    const float *w;
    int T, o, j;
    bool ok;
    __device__ void start(int c, bool valid, int k)
    {
        ok = valid;
        w += (i64)c * T;
        o = taps->n ? k / taps->n : 0;
        j = taps->n ? k % taps->n : 0;
    }
    __device__ float value() const { return ok ? w[(i64)o * g[gC] * T + taps->idx[j]] : 0.f; }
    __device__ void advance(int d)
    {
        for (j += d; j >= taps->n; j -= taps->n)
            o++;
    }
};

// Grid: (⌈batch·largest class volume / BN⌉, ⌈C/BM⌉, stride^dim classes).
extern "C" __global__ void conv_bwd_data(i64 tile_m, const int *g, i64 batch, const float *w, const float *dy,
                                         const float *bias, float *dx)
{
    int rho[3];
    const ParityClass pc = parity_class(g, blockIdx.z, rho);
    const int C = g[gC], V = img_volume(g), N = batch * pc.volume;
    if ((int)blockIdx.x * (4096 / (int)tile_m) >= N)
        return; // a class smaller than the grid: the whole block stops, before any barrier
    __shared__ Taps taps;
    const int step[3] = {g[gStr], g[gStr + 1], g[gStr + 2]};
    load_taps(g, taps, rho, step);
    const int T = g[gKer] * g[gKer + 1] * g[gKer + 2];
    ClassWeights la = {g, &taps, w, T};
    ColumnAtImage lb = {g, &taps, &pc, dy};
    const ParityClass *p = &pc;
    gemm_any(tile_m, C, N, 0, g[gO] * taps.n, la, lb, [=](int m, int n, float v) {
        if (bias)
            v += bias[m];
        const int s = n / p->volume, u = n % p->volume;
        const int qz = p->q0[0] + g[gStr] * (u / (p->n[1] * p->n[2]));
        const int qy = p->q0[1] + g[gStr + 1] * (u / p->n[2] % p->n[1]);
        const int qx = p->q0[2] + g[gStr + 2] * (u % p->n[2]);
        dx[(i64)(s * C + m) * V + (qz * g[gImg + 1] + qy) * g[gImg + 2] + qx] = v;
    });
}

// ColumnRows loads A of a filter gradient: dy(s, o, p) at line o, k = (s, p).
struct ColumnRows {
    const float *dy;
    int O, P, s, p;
    bool ok;
    __device__ void start(int o, bool valid, int k)
    {
        ok = valid;
        dy += (i64)o * P;
        s = k / P;
        p = k % P;
    }
    __device__ float value() const { return ok ? dy[(i64)s * O * P + p] : 0.f; }
    __device__ void advance(int d)
    {
        for (p += d; p >= P; p -= P)
            s++;
    }
};

// ImageAtTap loads B of a filter gradient: line n = (image channel, tap), k =
// (sample, column position); the image value under the tap, 0 in the padding.
struct ImageAtTap {
    const int *g;
    const Taps *taps;
    const float *x;
    int c, tz, ty, tx, s, pz, py, px;
    bool ok;
    __device__ void start(int n, bool valid, int k)
    {
        ok = valid;
        c = n / taps->n;
        const int pk = taps->pos[n % taps->n];
        tz = tap_z(pk);
        ty = tap_y(pk);
        tx = tap_x(pk);
        const int P = col_volume(g), p = k % P;
        s = k / P;
        pz = p / (g[gCol + 1] * g[gCol + 2]);
        py = p / g[gCol + 2] % g[gCol + 1];
        px = p % g[gCol + 2];
    }
    __device__ float value() const
    {
        const int iz = pz * g[gStr] - g[gPad] + tz, iy = py * g[gStr + 1] - g[gPad + 1] + ty,
                  ix = px * g[gStr + 2] - g[gPad + 2] + tx;
        if (!ok || iz < 0 || iy < 0 || ix < 0 || iz >= g[gImg] || iy >= g[gImg + 1] || ix >= g[gImg + 2])
            return 0.f;
        return x[((i64)s * g[gC] + c) * img_volume(g) + (iz * g[gImg + 1] + iy) * g[gImg + 2] + ix];
    }
    __device__ void advance(int d)
    {
        for (px += d; px >= g[gCol + 2]; px -= g[gCol + 2])
            if (++py == g[gCol + 1]) {
                py = 0;
                if (++pz == g[gCol]) {
                    pz = 0;
                    s++;
                }
            }
    }
};

// conv_bwd_filter: dw(o, c, t) += Σ_{s,p} dy(s, o, p)·x(s, c, p·stride − pad + t),
// the weight gradient of a convolution (and, with the roles of x and dy
// swapped, of a transposed one). GEMM: M = O, N = C·taps, K = batch·P, split
// over gridDim.z slices of kchunk along K whose partial sums are added
// atomically, so that the few output tiles still fill the GPU.
extern "C" __global__ void conv_bwd_filter(i64 tile_m, const int *g, i64 batch, const float *dy, const float *x,
                                           float *dw, i64 kchunk)
{
    __shared__ Taps taps;
    load_all_taps(g, taps);
    const int P = col_volume(g), O = g[gO], N = g[gC] * taps.n;
    const int k0 = blockIdx.z * kchunk, k1 = min(k0 + kchunk, batch * P);
    ColumnRows la = {dy, O, P};
    ImageAtTap lb = {g, &taps, x};
    gemm_any(tile_m, O, N, k0, k1, la, lb, [=](int m, int n, float v) { atomicAdd(&dw[(i64)m * N + n], v); });
}

// ---------------------------------------------------------------------------
// Per-channel reductions over (batch, channels, positions) activations.

#define REDUCE_THREADS 256

// block_sum2 sums a and b over the block; thread 0 gets the totals.
__device__ void block_sum2(double *a, double *b)
{
    __shared__ double sa[REDUCE_THREADS], sb[REDUCE_THREADS];
    sa[threadIdx.x] = *a;
    sb[threadIdx.x] = *b;
    __syncthreads();
    for (int h = REDUCE_THREADS / 2; h > 0; h /= 2) {
        if (threadIdx.x < h) {
            sa[threadIdx.x] += sa[threadIdx.x + h];
            sb[threadIdx.x] += sb[threadIdx.x + h];
        }
        __syncthreads();
    }
    *a = sa[0];
    *b = sb[0];
}

// channel_moments adds to sums[ch] Σ a and to sums[c + ch] Σ a·b over the
// samples and positions of channel ch, in double precision as the CPU kernels
// sum (the host clears sums first). With b = a these are batch norm's
// statistics; with (dy, x̂) its gradient sums. Grid: (c, slices): a channel's
// batch·p values are shared out over gridDim.y blocks, whose partial sums are
// added atomically, so that layers with few channels still fill the GPU.
// 32-bit indices (the host checks the size).
extern "C" __global__ void channel_moments(i64 batch, i64 c, i64 p, const float *a, const float *b,
                                           double *sums)
{
    const int ch = blockIdx.x, n = batch * p, step = gridDim.y * REDUCE_THREADS;
    double s1 = 0, s2 = 0;
    for (int i = blockIdx.y * REDUCE_THREADS + threadIdx.x; i < n; i += step) {
        const int off = (i / (int)p * (int)c + ch) * (int)p + i % (int)p;
        s1 += a[off];
        s2 += (double)a[off] * b[off];
    }
    block_sum2(&s1, &s2);
    if (threadIdx.x == 0) {
        atomicAdd(&sums[ch], s1);
        atomicAdd(&sums[c + ch], s2);
    }
}

// add_sums: dst[i] += sums[i], rounded to float (parameter gradients from
// channel sums).
extern "C" __global__ void add_sums(i64 n, const double *sums, float *dst)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        dst[i] += (float)sums[i];
}

// bn_stats turns the (globally summed) statistics into each channel's mean and
// 1/σ and updates the running statistics (train ≠ 0), or takes both from the
// running statistics (train = 0). Same arithmetic as model.BatchNorm.Forward.
extern "C" __global__ void bn_stats(i64 c, double n, i64 train, double momentum, double eps,
                                    const double *sums, float *mean, float *inv_std,
                                    float *run_mean, float *run_var)
{
    i64 ch = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c)
        return;
    if (!train) {
        mean[ch] = run_mean[ch];
        inv_std[ch] = (float)(1 / sqrt((double)run_var[ch] + eps));
        return;
    }
    double mu = sums[ch] / n;
    double var = fmax(sums[c + ch] / n - mu * mu, 0.0);
    mean[ch] = (float)mu;
    inv_std[ch] = (float)(1 / sqrt(var + eps));
    double unbiased = n > 1 ? var * n / (n - 1) : var;
    run_mean[ch] = (float)((1 - momentum) * run_mean[ch] + momentum * mu);
    run_var[ch] = (float)((1 - momentum) * run_var[ch] + momentum * unbiased);
}

// bn_apply: x̂ = (x − mean)·invStd, y = γ·x̂ + β per channel.
// Batch norm's elementwise kernels index with 32 bits (the host checks the
// size): a 64-bit division per value is slow on a GPU.
extern "C" __global__ void bn_apply(i64 batch, i64 c, i64 p, const float *x, const float *mean,
                                    const float *inv_std, const float *gamma, const float *beta,
                                    float *xhat, float *y)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= batch * c * p)
        return;
    const int ch = i / (int)p % (int)c;
    float h = (x[i] - mean[ch]) * inv_std[ch];
    xhat[i] = h;
    y[i] = gamma[ch] * h + beta[ch];
}

// bn_coeffs computes the coefficients of bn_backward_data from the (globally
// summed) gradient sums: k1 = γ·invStd, and in training mode k0 = k1·Σdy/n,
// k2 = k1·Σdy·x̂/n (zero in inference mode, where the statistics are fixed).
extern "C" __global__ void bn_coeffs(i64 c, double n, i64 train, const double *sums,
                                     const float *gamma, const float *inv_std, float *k)
{
    i64 ch = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (ch >= c)
        return;
    float k1 = gamma[ch] * inv_std[ch];
    k[c + ch] = k1;
    k[ch] = train ? (float)((double)k1 * sums[ch] / n) : 0.f;
    k[2 * c + ch] = train ? (float)((double)k1 * sums[c + ch] / n) : 0.f;
}

// bn_backward_data: dx = k1·dy − k2·x̂ − k0 per channel, k = (k0, k1, k2).
extern "C" __global__ void bn_backward_data(i64 batch, i64 c, i64 p, const float *dy,
                                            const float *xhat, const float *k, float *dx)
{
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= batch * c * p)
        return;
    const int ch = i / (int)p % (int)c;
    dx[i] = k[c + ch] * dy[i] - k[2 * c + ch] * xhat[i] - k[ch];
}

// ---------------------------------------------------------------------------
// Activations: kind 0 is (leaky) ReLU with the given slope, 1 tanh.
// The backward passes use the saved output y.

extern "C" __global__ void act_fwd(i64 n, i64 kind, double slope, const float *x, float *y)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = x[i];
    y[i] = kind == 0 ? (v > 0 ? v : (float)slope * v) : tanhf(v);
}

extern "C" __global__ void act_bwd(i64 n, i64 kind, double slope, const float *y, const float *dy,
                                   float *dx)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = y[i], d = dy[i];
    dx[i] = kind == 0 ? (v > 0 ? d : (float)slope * d) : d * (1 - v * v);
}

// ---------------------------------------------------------------------------
// Losses, each in one block: the value (and for BCE the mean sigmoid) goes to
// out in double precision, the gradient to grad.

// bce_logits: out[0] = weight·mean ℓ(x, y) with ℓ = max(x, 0) − x·y +
// log(1 + e^−|x|), out[1] = mean σ(x); grad = weight·(σ(x) − y)/n.
extern "C" __global__ void bce_logits(i64 n, double weight, const float *logits,
                                      const float *labels, float *grad, double *out)
{
    double loss = 0, sig = 0;
    for (i64 i = threadIdx.x; i < n; i += REDUCE_THREADS) {
        double x = logits[i], y = labels[i];
        double s = x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x));
        loss += fmax(x, 0.0) - x * y + log1p(exp(-fabs(x)));
        sig += s;
        grad[i] = (float)(weight * (s - y) / n);
    }
    block_sum2(&loss, &sig);
    if (threadIdx.x == 0) {
        out[0] = weight * loss / n;
        out[1] = sig / n;
    }
}

// feature_loss adds to out[0] mean (f − t)² and writes grad = 2(f − t)/n
// (Eq. 7); the features (a batch of TD outputs) are shared out over the
// blocks of the grid, whose partial sums are added atomically to out[0],
// which the host clears first.
extern "C" __global__ void feature_loss(i64 n, const float *f, const float *t, float *grad,
                                        double *out)
{
    double loss = 0, unused = 0;
    for (i64 i = (i64)blockIdx.x * REDUCE_THREADS + threadIdx.x; i < n; i += (i64)gridDim.x * REDUCE_THREADS) {
        double d = (double)f[i] - t[i];
        loss += d * d;
        grad[i] = (float)(2 * d / n);
    }
    block_sum2(&loss, &unused);
    if (threadIdx.x == 0)
        atomicAdd(&out[0], loss / n);
}

// ---------------------------------------------------------------------------
// adam: one Adam update, with the bias corrections c1 = 1 − β1^t and
// c2 = 1 − β2^t computed by the host, as kernels.Adam does.
extern "C" __global__ void adam(i64 n, float *p, const float *g, float *m, float *v, double lr,
                                double beta1, double beta2, double eps, double c1, double c2)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    const float b1 = beta1, b2 = beta2, gi = g[i];
    float mi = b1 * m[i] + (1 - b1) * gi;
    float vi = b2 * v[i] + (1 - b2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    p[i] -= (float)lr * (mi / (float)c1) / (sqrtf(vi / (float)c2) + (float)eps);
}
