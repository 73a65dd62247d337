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

// Layout of a convolution's geometry array. The "image" side has C channels
// (the input of a convolution, the output of a transposed one); the "column"
// side has O channels, one value per output position of the convolution.
// Spatial extents are (depth, height, width); 2D uses depth 1.
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
// Tiled GEMM core: C(m, n) = Σ_k A(m, k)·B(k, n) over k in [k0, k1), with the
// operands fetched and the result stored by functors, so that convolutions
// gather their operands straight from the activations (implicit GEMM: no
// column matrix in device memory). A block of 256 threads computes a 64×64
// tile of C, 4×4 values per thread, staging 16-deep slices of A and B in
// shared memory.

#define TILE_M 64
#define TILE_N 64
#define TILE_K 16
#define TILE_THREADS 256

template <class LoadA, class LoadB, class Store>
__device__ void gemm_tile(i64 M, i64 N, i64 k0, i64 k1, LoadA a, LoadB b, Store store)
{
    __shared__ float As[TILE_K][TILE_M];
    __shared__ float Bs[TILE_K][TILE_N];
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    const i64 m0 = (i64)blockIdx.y * TILE_M, n0 = (i64)blockIdx.x * TILE_N;
    float acc[4][4];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++)
            acc[i][j] = 0.f;
    for (i64 kt = k0; kt < k1; kt += TILE_K) {
        for (int e = threadIdx.x; e < TILE_K * TILE_M; e += TILE_THREADS) {
            int kk = e / TILE_M, mm = e % TILE_M;
            i64 m = m0 + mm, k = kt + kk;
            As[kk][mm] = (m < M && k < k1) ? a(m, k) : 0.f;
        }
        for (int e = threadIdx.x; e < TILE_K * TILE_N; e += TILE_THREADS) {
            int kk = e / TILE_N, nn = e % TILE_N;
            i64 n = n0 + nn, k = kt + kk;
            Bs[kk][nn] = (n < N && k < k1) ? b(k, n) : 0.f;
        }
        __syncthreads();
        for (int kk = 0; kk < TILE_K; kk++) {
            float av[4], bv[4];
            for (int i = 0; i < 4; i++)
                av[i] = As[kk][ty + 16 * i];
            for (int j = 0; j < 4; j++)
                bv[j] = Bs[kk][tx + 16 * j];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            i64 m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
            if (m < M && n < N)
                store(m, n, acc[i][j]);
        }
}

// gemm: C = A·B (+ C when beta ≠ 0) (+ bias[n] when bias ≠ 0), with A(m, k) =
// a[m·sam + k·sak] and B(k, n) = b[k·sbk + n·sbn]: the strides express either
// operand transposed. Grid: (⌈N/64⌉, ⌈M/64⌉).
extern "C" __global__ void gemm(i64 M, i64 N, i64 K,
                                const float *a, i64 sam, i64 sak,
                                const float *b, i64 sbk, i64 sbn,
                                float *c, i64 ldc, i64 beta, const float *bias)
{
    gemm_tile(M, N, 0, K,
        [=](i64 m, i64 k) { return a[m * sam + k * sak]; },
        [=](i64 k, i64 n) { return b[k * sbk + n * sbn]; },
        [=](i64 m, i64 n, float v) {
            if (bias)
                v += bias[n];
            if (beta)
                v += c[m * ldc + n];
            c[m * ldc + n] = v;
        });
}

// image_at returns the image value that kernel tap t sees at column position
// p of channel ch of sample s, or 0 in the padding.
__device__ float image_at(const i64 *g, const float *x, i64 s, i64 ch, i64 p, i64 t)
{
    i64 idx = s * g[gC] + ch;
    i64 pos[3], tap[3];
    for (int a = 2; a >= 0; a--) {
        pos[a] = p % g[gCol + a];
        p /= g[gCol + a];
        tap[a] = t % g[gKer + a];
        t /= g[gKer + a];
    }
    for (int a = 0; a < 3; a++) {
        i64 i = pos[a] * g[gStr + a] - g[gPad + a] + tap[a];
        if (i < 0 || i >= g[gImg + a])
            return 0.f;
        idx = idx * g[gImg + a] + i;
    }
    return x[idx];
}

// column_at returns the column-side value of channel o of sample s that kernel
// tap t carries onto image position q, or 0 when no column position maps there.
__device__ float column_at(const i64 *g, const float *y, i64 s, i64 o, i64 q, i64 t)
{
    i64 idx = s * g[gO] + o;
    i64 pos[3], tap[3];
    for (int a = 2; a >= 0; a--) {
        pos[a] = q % g[gImg + a];
        q /= g[gImg + a];
        tap[a] = t % g[gKer + a];
        t /= g[gKer + a];
    }
    for (int a = 0; a < 3; a++) {
        i64 v = pos[a] + g[gPad + a] - tap[a];
        if (v < 0 || v % g[gStr + a] != 0 || v / g[gStr + a] >= g[gCol + a])
            return 0.f;
        idx = idx * g[gCol + a] + v / g[gStr + a];
    }
    return y[idx];
}

__device__ i64 col_volume(const i64 *g) { return g[gCol] * g[gCol + 1] * g[gCol + 2]; }
__device__ i64 img_volume(const i64 *g) { return g[gImg] * g[gImg + 1] * g[gImg + 2]; }
__device__ i64 taps(const i64 *g) { return g[gKer] * g[gKer + 1] * g[gKer + 2]; }

// conv_fwd: y(s, o, p) = Σ_{c,t} w(o, c, t)·x(s, c, p·stride − pad + t) (+ bias[o]),
// the image → column direction: a convolution's forward pass, and a
// transposed convolution's input gradient. w is (O, C, taps).
// GEMM: M = O, N = batch·P, K = C·taps. Grid: (⌈N/64⌉, ⌈M/64⌉).
extern "C" __global__ void conv_fwd(const i64 *g, i64 batch, const float *w, const float *x,
                                    const float *bias, float *y)
{
    const i64 T = taps(g), P = col_volume(g), K = g[gC] * T;
    gemm_tile(g[gO], batch * P, 0, K,
        [=](i64 m, i64 k) { return w[m * K + k]; },
        [=](i64 k, i64 n) { return image_at(g, x, n / P, k / T, n % P, k % T); },
        [=](i64 m, i64 n, float v) {
            if (bias)
                v += bias[m];
            y[(n / P * g[gO] + m) * P + n % P] = v;
        });
}

// conv_bwd_data: dx(s, c, q) = Σ_{o,t} w(o, c, t)·dy(s, o, p) over the column
// positions p that tap t maps onto q (+ bias[c]), the column → image
// direction: a convolution's input gradient and a transposed convolution's
// forward pass. GEMM: M = C, N = batch·V, K = O·taps.
extern "C" __global__ void conv_bwd_data(const i64 *g, i64 batch, const float *w, const float *dy,
                                         const float *bias, float *dx)
{
    const i64 T = taps(g), V = img_volume(g), C = g[gC];
    gemm_tile(C, batch * V, 0, g[gO] * T,
        [=](i64 m, i64 k) { return w[(k / T * C + m) * T + k % T]; },
        [=](i64 k, i64 n) { return column_at(g, dy, n / V, k / T, n % V, k % T); },
        [=](i64 m, i64 n, float v) {
            if (bias)
                v += bias[m];
            dx[(n / V * C + m) * V + n % V] = v;
        });
}

// conv_bwd_filter: dw(o, c, t) += Σ_{s,p} dy(s, o, p)·x(s, c, p·stride − pad + t),
// the weight gradient of a convolution (and, with the roles of x and dy
// swapped, of a transposed one). GEMM: M = O, N = C·taps, K = batch·P, split
// over gridDim.z slices of kchunk along K whose partial sums are added
// atomically, so that the few output tiles still fill the GPU.
extern "C" __global__ void conv_bwd_filter(const i64 *g, i64 batch, const float *dy, const float *x,
                                           float *dw, i64 kchunk)
{
    const i64 T = taps(g), P = col_volume(g), O = g[gO], N = g[gC] * T;
    const i64 k0 = (i64)blockIdx.z * kchunk, k1 = min(k0 + kchunk, batch * P);
    gemm_tile(O, N, k0, k1,
        [=](i64 m, i64 k) { return dy[(k / P * O + m) * P + k % P]; },
        [=](i64 k, i64 n) { return image_at(g, x, k / P, n / T, k % P, n % T); },
        [=](i64 m, i64 n, float v) { atomicAdd(&dw[m * N + n], v); });
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

// channel_moments: sums[ch] = Σ a, sums[c + ch] = Σ a·b over the samples and
// positions of channel ch, in double precision as the CPU kernels sum. With
// b = a these are batch norm's statistics; with (dy, x̂) its gradient sums.
// Grid: c blocks of 256 threads.
extern "C" __global__ void channel_moments(i64 batch, i64 c, i64 p, const float *a, const float *b,
                                           double *sums)
{
    const i64 ch = blockIdx.x;
    double s1 = 0, s2 = 0;
    for (i64 i = threadIdx.x; i < batch * p; i += REDUCE_THREADS) {
        i64 off = (i / p * c + ch) * p + i % p;
        s1 += a[off];
        s2 += (double)a[off] * b[off];
    }
    block_sum2(&s1, &s2);
    if (threadIdx.x == 0) {
        sums[ch] = s1;
        sums[c + ch] = s2;
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
extern "C" __global__ void bn_apply(i64 batch, i64 c, i64 p, const float *x, const float *mean,
                                    const float *inv_std, const float *gamma, const float *beta,
                                    float *xhat, float *y)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= batch * c * p)
        return;
    i64 ch = i / p % c;
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
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= batch * c * p)
        return;
    i64 ch = i / p % c;
    dx[i] = k[c + ch] * dy[i] - k[2 * c + ch] * xhat[i] - k[ch];
}

// ---------------------------------------------------------------------------
// Activations: kind 0 is (leaky) ReLU with the given slope, 1 tanh, 2 sigmoid.
// The backward passes use the saved output y.

extern "C" __global__ void act_fwd(i64 n, i64 kind, double slope, const float *x, float *y)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = x[i];
    if (kind == 0)
        y[i] = v > 0 ? v : (float)slope * v;
    else if (kind == 1)
        y[i] = tanhf(v);
    else
        y[i] = v >= 0 ? 1 / (1 + expf(-v)) : expf(v) / (1 + expf(v));
}

extern "C" __global__ void act_bwd(i64 n, i64 kind, double slope, const float *y, const float *dy,
                                   float *dx)
{
    i64 i = (i64)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n)
        return;
    float v = y[i], d = dy[i];
    if (kind == 0)
        dx[i] = v > 0 ? d : (float)slope * d;
    else if (kind == 1)
        dx[i] = d * (1 - v * v);
    else
        dx[i] = d * v * (1 - v);
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

// feature_loss: out[0] = mean (f − t)², grad = 2(f − t)/n (Eq. 7).
extern "C" __global__ void feature_loss(i64 n, const float *f, const float *t, float *grad,
                                        double *out)
{
    double loss = 0, unused = 0;
    for (i64 i = threadIdx.x; i < n; i += REDUCE_THREADS) {
        double d = (double)f[i] - t[i];
        loss += d * d;
        grad[i] = (float)(2 * d / n);
    }
    block_sum2(&loss, &unused);
    if (threadIdx.x == 0)
        out[0] = loss / n;
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
