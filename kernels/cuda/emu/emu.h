// emu.h makes kernels.cu compile as host C++ for the emulator: the CUDA
// keywords become plain C++, the thread and block indices are globals that the
// scheduler in emu.cpp sets before it switches to a thread.
#ifndef COSMOGAN_EMU_H
#define COSMOGAN_EMU_H

#include <cmath>
#include <cstdint>

struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};

extern dim3 threadIdx, blockIdx, blockDim, gridDim;

// __syncthreads parks the calling thread until every thread of the block has
// arrived.
void __syncthreads();

#define __global__
#define __device__
// Blocks run one after another, so one static copy serves as the shared
// memory of the running block.
#define __shared__ static

// All threads run on one OS thread, switching only at barriers: an atomic add
// is a plain one.
template <class T>
inline T atomicAdd(T *p, T v)
{
    T old = *p;
    *p = old + v;
    return old;
}

inline long long min(long long a, long long b) { return a < b ? a : b; }

#endif
