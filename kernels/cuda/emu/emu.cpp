// A CUDA emulator for kernels.cu: runs a launch's blocks one after another,
// and the threads of a block as fibers on the calling OS thread, switching at
// __syncthreads. Deterministic, and fast enough for the test sizes of the GPU
// backend's CI checks.
//
// A fiber starts on its own stack with makecontext/setcontext; after that,
// switches use _setjmp/_longjmp, which unlike swapcontext make no system call
// (a GEMM tile passes two barriers per 16-deep slice).
#undef _FORTIFY_SOURCE // its longjmp check refuses jumps between stacks
#define COSMOGAN_EMULATE 1
#include "kernels_cu.h" // a link to ../kernels.cu, so that the go command sees its changes

#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <ucontext.h>
#include <utility>
#include <vector>

#include "emu_api.h"

dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace {

enum State { runnable, at_barrier, done };

struct Fiber {
    ucontext_t start;
    jmp_buf resume;
    bool started;
    std::vector<char> stack;
    State state;
    dim3 idx;
};

const size_t stack_bytes = 64 << 10;
jmp_buf scheduler;
std::vector<Fiber> fibers;
int current;
void (*body)(const uint64_t *);
const uint64_t *body_args;

void fiber_main()
{
    body(body_args);
    fibers[current].state = done;
    _longjmp(scheduler, 1);
}

// Arguments travel as 8-byte words, as with cuLaunchKernel through cu.
template <class T>
T word(uint64_t v)
{
    static_assert(sizeof(T) == 8, "kernel arguments must be 8 bytes: pointers, long long, double");
    T t;
    std::memcpy(&t, &v, 8);
    return t;
}

template <class... A, size_t... I>
void unpack(void (*f)(A...), const uint64_t *a, std::index_sequence<I...>)
{
    f(word<A>(a[I])...);
}

template <class... A>
constexpr int arity(void (*)(A...)) { return sizeof...(A); }

struct Kernel {
    const char *name;
    void (*call)(const uint64_t *);
    int args;
};

#define KERNEL(f) {#f, [](const uint64_t *a) { unpack(f, a, std::make_index_sequence<arity(f)>{}); }, arity(f)}

const Kernel kernels[] = {
    KERNEL(gemm),
    KERNEL(conv_fwd),
    KERNEL(conv_bwd_data),
    KERNEL(conv_bwd_filter),
    KERNEL(channel_moments),
    KERNEL(add_sums),
    KERNEL(bn_stats),
    KERNEL(bn_apply),
    KERNEL(bn_coeffs),
    KERNEL(bn_backward_data),
    KERNEL(act_fwd),
    KERNEL(act_bwd),
    KERNEL(bce_logits),
    KERNEL(feature_loss),
    KERNEL(adam),
};

const int nkernels = sizeof(kernels) / sizeof(kernels[0]);

// run_block runs every thread of the current block to completion. It returns
// false when some threads finished while others wait at a barrier, which
// would hang (or be undefined) on a GPU.
bool run_block(int n)
{
    for (int i = 0; i < n; i++) {
        Fiber &f = fibers[i];
        f.state = runnable;
        f.started = false;
        getcontext(&f.start);
        f.start.uc_stack.ss_sp = f.stack.data();
        f.start.uc_stack.ss_size = f.stack.size();
        f.start.uc_link = nullptr;
        makecontext(&f.start, fiber_main, 0);
    }
    for (;;) {
        int finished = 0;
        for (int i = 0; i < n; i++) {
            Fiber &f = fibers[i];
            if (f.state == runnable) {
                current = i;
                threadIdx = f.idx;
                if (!_setjmp(scheduler)) {
                    if (!f.started) {
                        f.started = true;
                        setcontext(&f.start);
                    }
                    _longjmp(f.resume, 1);
                }
            }
            finished += f.state == done;
        }
        if (finished == n)
            return true;
        if (finished > 0)
            return false;
        for (int i = 0; i < n; i++)
            fibers[i].state = runnable; // everyone arrived: release the barrier
    }
}

} // namespace

void __syncthreads()
{
    Fiber &f = fibers[current];
    f.state = at_barrier;
    if (!_setjmp(f.resume))
        _longjmp(scheduler, 1);
}

extern "C" int emu_kernel_count(void) { return nkernels; }

extern "C" const char *emu_kernel_name(int i) { return kernels[i].name; }

extern "C" int emu_launch(const char *name, const unsigned *grid, const unsigned *block,
                          const uint64_t *args, int nargs, char *err, int errlen)
{
    const Kernel *k = nullptr;
    for (int i = 0; i < nkernels; i++)
        if (std::strcmp(kernels[i].name, name) == 0)
            k = &kernels[i];
    if (!k) {
        std::snprintf(err, errlen, "no kernel named %s", name);
        return 1;
    }
    if (k->args != nargs) {
        std::snprintf(err, errlen, "kernel %s takes %d arguments, got %d", name, k->args, nargs);
        return 1;
    }
    int n = block[0] * block[1] * block[2];
    if (n < 1 || n > 1024) {
        std::snprintf(err, errlen, "kernel %s: %d threads per block, want 1 to 1024", name, n);
        return 1;
    }
    if (fibers.size() < (size_t)n) {
        fibers.resize(n);
        for (auto &f : fibers)
            f.stack.resize(stack_bytes);
    }
    gridDim = {grid[0], grid[1], grid[2]};
    blockDim = {block[0], block[1], block[2]};
    for (int i = 0; i < n; i++)
        fibers[i].idx = {unsigned(i % block[0]), unsigned(i / block[0] % block[1]), unsigned(i / (block[0] * block[1]))};
    body = k->call;
    body_args = args;
    for (unsigned z = 0; z < grid[2]; z++)
        for (unsigned y = 0; y < grid[1]; y++)
            for (unsigned x = 0; x < grid[0]; x++) {
                blockIdx = {x, y, z};
                if (!run_block(n)) {
                    std::snprintf(err, errlen, "kernel %s: block (%u,%u,%u) left threads waiting at __syncthreads", name, x, y, z);
                    return 1;
                }
            }
    return 0;
}
