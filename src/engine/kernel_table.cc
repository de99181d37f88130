// This target's Kernels table (one copy per target; see kernels.h).
#include "engine/attention.h"
#include "engine/kernels.h"
#include "engine/matvec.h"
#include "engine/matvec_q8.h"
#include "engine/mxfp4.h"
#include "engine/mxfp4_q8.h"
#include "engine/rmsnorm.h"
#include "engine/sum.h"

namespace gptoss::engine::GPTOSS_KERNEL_NS {

#if defined(GPTOSS_KERNEL_AVX512)
constexpr KernelTarget kTarget = KernelTarget::kAvx512;
#elif defined(GPTOSS_KERNEL_AVX2)
constexpr KernelTarget kTarget = KernelTarget::kAvx2;
#else
constexpr KernelTarget kTarget = KernelTarget::kBaseline;
#endif

#define GPTOSS_STRINGIFY_(x) #x
#define GPTOSS_STRINGIFY(x) GPTOSS_STRINGIFY_(x)

extern const Kernels kKernels;
constexpr Kernels kKernels = {
    .target = kTarget,
    .name = GPTOSS_STRINGIFY(GPTOSS_KERNEL_NS),
    .vnni = false,
    .matvec_bf16w_f32 = matvec_bf16w_f32,
    .matvecs_bf16w_f32 = matvecs_bf16w_f32,
    .matmul_bf16w_f32 = matmul_bf16w_f32,
    .quantize_q8_f32 = quantize_q8_f32,
    .matvec_q8w_q8 = matvec_q8w_q8,
    .matmul_q8w_f32 = matmul_q8w_f32,
    .matmul_mxfp4w_f32_rows = matmul_mxfp4w_f32_rows,
    .matmul_mxfp4w_f32 = matmul_mxfp4w_f32,
    .matmul_mxfp4w_q8_rows = matmul_mxfp4w_q8_rows,
    .attention_f32 = attention_f32,
    .rmsnorm_bf16w_f32 = rmsnorm_bf16w_f32,
    .sum_f32 = sum_f32,
};

#if defined(GPTOSS_KERNEL_AVX512)
// The same with the VNNI int8 matvecs (same results: the integer sums are exact either way).
extern const Kernels kKernelsVnni;
constexpr Kernels kKernelsVnni = [] {
  Kernels k = kKernels;
  k.vnni = true;
  k.matvec_q8w_q8 = matvec_q8w_q8_vnni;
  k.matmul_mxfp4w_q8_rows = matmul_mxfp4w_q8_rows_vnni;
  return k;
}();
#endif

}  // namespace gptoss::engine::GPTOSS_KERNEL_NS
