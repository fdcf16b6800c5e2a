// CUDA variants of preprocessBatch and NMS. Plain C++ interface (no CUDA headers) so the N-API layer and the checks
// include it without nvcc. Every function throws std::runtime_error with the CUDA error string on failure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "preprocess.h"

namespace loupe {
namespace cuda {

/** CUDA devices usable by this process; 0 when there is no driver or no device (never throws). */
int DeviceCount();

/** Same contract and (up to float summation order) the same values as loupe::PreprocessBatch: the resampling weights
 * are planned on the CPU by the shared core (PlanCrop), the two separable passes run on the GPU. */
void PreprocessBatch(const RgbImage& image, const float* boxes, size_t n, const PreprocessParams& params, float* out);

/** Same result as loupe::Nms, bit for bit: the IoU matrix of the score-sorted candidates is computed as 64-bit
 * suppression masks on the GPU (IEEE-rounded, no FMA contraction), the greedy scan runs on the host. */
std::vector<int32_t> Nms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                         float score_threshold);

}  // namespace cuda
}  // namespace loupe
