#include "nms.h"

#include <algorithm>
#include <numeric>

namespace loupe {
namespace {

inline float Area(const float* b) { return std::max(0.f, b[2] - b[0]) * std::max(0.f, b[3] - b[1]); }

inline bool Suppresses(const float* kept, float kept_area, const float* b, float b_area, float iou_threshold) {
  const float iw = std::min(kept[2], b[2]) - std::max(kept[0], b[0]);
  const float ih = std::min(kept[3], b[3]) - std::max(kept[1], b[1]);
  if (iw <= 0.f || ih <= 0.f) return false;
  const float inter = iw * ih;
  const float uni = kept_area + b_area - inter;
  return uni > 0.f && inter / uni > iou_threshold;
}

}  // namespace

float BoxIou(const float* a, const float* b) {
  const float iw = std::min(a[2], b[2]) - std::max(a[0], b[0]);
  const float ih = std::min(a[3], b[3]) - std::max(a[1], b[1]);
  if (iw <= 0.f || ih <= 0.f) return 0.f;
  const float inter = iw * ih;
  const float uni = Area(a) + Area(b) - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<int32_t> NmsOrder(const float* scores, size_t n, float score_threshold) {
  std::vector<int32_t> order;
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (scores[i] >= score_threshold) order.push_back(static_cast<int32_t>(i));
  }
  std::stable_sort(order.begin(), order.end(), [scores](int32_t a, int32_t b) { return scores[a] > scores[b]; });
  return order;
}

std::vector<int32_t> Nms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                         float score_threshold) {
  const std::vector<int32_t> order = NmsOrder(scores, n, score_threshold);
  // Kept boxes packed contiguously (with their areas) so the inner loop streams through memory.
  std::vector<float> kept_boxes;
  std::vector<float> kept_areas;
  std::vector<int32_t> keep;
  for (int32_t i : order) {
    if (keep.size() >= max_out) break;
    const float* b = boxes + 4 * static_cast<size_t>(i);
    const float area = Area(b);
    bool suppressed = false;
    for (size_t k = 0; k < keep.size() && !suppressed; ++k) {
      suppressed = Suppresses(&kept_boxes[4 * k], kept_areas[k], b, area, iou_threshold);
    }
    if (suppressed) continue;
    keep.push_back(i);
    kept_boxes.insert(kept_boxes.end(), b, b + 4);
    kept_areas.push_back(area);
  }
  return keep;
}

std::vector<int32_t> NmsPerClass(const float* boxes, const float* scores, const int32_t* classes, size_t n,
                                 float iou_threshold, size_t max_out, float score_threshold) {
  const std::vector<int32_t> order = NmsOrder(scores, n, score_threshold);
  // Class ids are arbitrary int32: map them to dense slots in order of first appearance.
  std::vector<int32_t> ids(classes, classes + n);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  std::vector<std::vector<int32_t>> kept_by_class(ids.size());
  std::vector<int32_t> keep;
  for (int32_t i : order) {
    if (keep.size() >= max_out) break;
    const size_t slot = std::lower_bound(ids.begin(), ids.end(), classes[i]) - ids.begin();
    const float* b = boxes + 4 * static_cast<size_t>(i);
    const float area = Area(b);
    bool suppressed = false;
    for (int32_t k : kept_by_class[slot]) {
      const float* kb = boxes + 4 * static_cast<size_t>(k);
      if (Suppresses(kb, Area(kb), b, area, iou_threshold)) {
        suppressed = true;
        break;
      }
    }
    if (suppressed) continue;
    keep.push_back(i);
    kept_by_class[slot].push_back(i);
  }
  return keep;
}

}  // namespace loupe
