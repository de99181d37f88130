// Opens the instruction-set region of one kernel copy (see kernels.h). Include it after every
// other header of the file; close with kernel_target_end.h. The build defines GPTOSS_KERNEL_NS
// (the namespace of this copy) and one of GPTOSS_KERNEL_AVX512 / GPTOSS_KERNEL_AVX2 (none for
// baseline). Code in the region tests those macros, not __AVX512F__, which clang does not set
// from a pragma.
#if !defined(GPTOSS_KERNEL_NS)
#error "kernel files are compiled once per target by src/engine/CMakeLists.txt"
#endif

// GCC 12 warns that _mm512_undefined_* values are used uninitialised when AVX-512 is enabled by
// pragma (GCC bug 105593); they are undefined on purpose. Before the include: GCC checks the
// state at the header's lines.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#if defined(GPTOSS_KERNEL_AVX512) && defined(__clang__)
#pragma clang attribute push( \
    __attribute__((target("avx2,fma,f16c,bmi2,avx512f,avx512bw,avx512vl,avx512dq"))), apply_to = function)
#elif defined(GPTOSS_KERNEL_AVX512)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2,avx512f,avx512bw,avx512vl,avx512dq,prefer-vector-width=512")
#elif defined(GPTOSS_KERNEL_AVX2) && defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi2"))), apply_to = function)
#elif defined(GPTOSS_KERNEL_AVX2)
#pragma GCC push_options
#pragma GCC target("avx2,fma,f16c,bmi2")
#endif
