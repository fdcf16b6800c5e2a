// Greedy non-maximum suppression over boxes (x1,y1,x2,y2). No N-API here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loupe {

/** IoU of two boxes; an inverted or degenerate box has zero area, so its IoU with anything is 0. */
float BoxIou(const float* a, const float* b);

/** Indices of the boxes kept by greedy NMS, by descending score (ties: lower index first). A box is suppressed when its
 * IoU with an already kept box is > iou_threshold. Boxes scoring below score_threshold are dropped first. At most
 * max_out indices. */
std::vector<int32_t> Nms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                         float score_threshold);

/** Candidate order shared by the CPU and CUDA paths: indices with score >= score_threshold by descending score. */
std::vector<int32_t> NmsOrder(const float* scores, size_t n, float score_threshold);

}  // namespace loupe
