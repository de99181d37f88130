// Closes the region kernel_target_begin.h opened.
#if (defined(GPTOSS_KERNEL_AVX512) || defined(GPTOSS_KERNEL_AVX2)) && defined(__clang__)
#pragma clang attribute pop
#elif defined(GPTOSS_KERNEL_AVX512) || defined(GPTOSS_KERNEL_AVX2)
#pragma GCC pop_options
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
