// Run-time choice between the CUDA kernels (built only when nvcc was found: LOUPE_WITH_CUDA) and the CPU core.
// `device` in the raw API: 0 auto, 1 cpu, 2 cuda (an error when unavailable). `auto` picks the GPU only when a device
// is present and the GPU measured faster end to end, transfers included (bench/README.md, H200 host with 16 cores):
// preprocessBatch from 8 boxes up (10 crops: 1.2x; 1 crop: 0.2x); NMS never (0.7x at 8,400 and 0.1x at 30,000
// candidates, because the n x n/64 suppression mask travels back to the host).
#pragma once

#include <stdexcept>

#include <cstdint>
#include <vector>

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

constexpr size_t kGpuPreprocessMinBoxes = 8;

inline bool GpuPreprocessBatch(const loupe::RgbImage& image, const float* boxes, size_t n,
                               const loupe::PreprocessParams& p, float* out, int device) {
  if (device == 0 && n < kGpuPreprocessMinBoxes) return false;
  if (!UseGpu(device)) return false;
#ifdef LOUPE_WITH_CUDA
  loupe::cuda::PreprocessBatch(image, boxes, n, p, out);
  return true;
#else
  (void)image, (void)boxes, (void)n, (void)p, (void)out;
  return false;
#endif
}

// The GPU path keeps an n x n/64 bitmask (n = 32,768: 128 MiB); beyond this NMS always runs on the CPU.
constexpr size_t kGpuNmsMaxCandidates = 32768;

inline bool GpuNms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                   float score_threshold, int device, std::vector<int32_t>* keep) {
  if (device != 2 || n > kGpuNmsMaxCandidates) return false;  // only on request: slower than the CPU end to end
  if (!UseGpu(device)) return false;
#ifdef LOUPE_WITH_CUDA
  *keep = loupe::cuda::Nms(boxes, scores, n, iou_threshold, max_out, score_threshold);
  return true;
#else
  (void)boxes, (void)scores, (void)iou_threshold, (void)max_out, (void)score_threshold, (void)keep;
  return false;
#endif
}

}  // namespace loupe_napi
