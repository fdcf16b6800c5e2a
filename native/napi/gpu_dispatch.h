// Run-time choice between the CUDA kernels (built only when nvcc was found: LOUPE_WITH_CUDA) and the CPU core.
// `device` in the raw API: 0 auto (CUDA when a device is present), 1 cpu, 2 cuda (an error when unavailable).
#pragma once

#include <stdexcept>

#include "core/preprocess.h"
#ifdef LOUPE_WITH_CUDA
#include "cuda/loupe_cuda.h"
#endif

namespace loupe_napi {

inline bool GpuAvailable() {
#ifdef LOUPE_WITH_CUDA
  static const bool available = loupe::cuda::DeviceCount() > 0;  // probed once; thread-safe static init
  return available;
#else
  return false;
#endif
}

inline bool UseGpu(int device) {
  if (device == 1) return false;
  if (GpuAvailable()) return true;
  if (device == 2) throw std::runtime_error("a CUDA device was requested but none is available to this build");
  return false;
}

inline bool GpuPreprocessBatch(const loupe::RgbImage& image, const float* boxes, size_t n,
                               const loupe::PreprocessParams& p, float* out, bool required) {
  if (!UseGpu(required ? 2 : 0)) return false;
#ifdef LOUPE_WITH_CUDA
  loupe::cuda::PreprocessBatch(image, boxes, n, p, out);
  return true;
#else
  (void)image, (void)boxes, (void)n, (void)p, (void)out;
  return false;
#endif
}

}  // namespace loupe_napi
