// The emulator's C interface to Go.
#ifndef COSMOGAN_EMU_API_H
#define COSMOGAN_EMU_API_H
#include <stdint.h>
#ifdef __cplusplus
extern "C" {
#endif
int emu_kernel_count(void);
const char *emu_kernel_name(int i);
int emu_launch(const char *name, const unsigned *grid, const unsigned *block,
               const uint64_t *args, int nargs, char *err, int errlen);
#ifdef __cplusplus
}
#endif
#endif
