#include "nms.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <utility>

namespace loupe {
namespace {

inline float Area(const float* b) { return std::max(0.f, b[2] - b[0]) * std::max(0.f, b[3] - b[1]); }

// Kept boxes as structure-of-arrays so that testing one candidate against a run of them vectorizes.
struct KeptBoxes {
  std::vector<float> x1, y1, x2, y2, area;
  void Add(const float* b, float a) {
    x1.push_back(b[0]);
    y1.push_back(b[1]);
    x2.push_back(b[2]);
    y2.push_back(b[3]);
    area.push_back(a);
  }
};

// Whether any of kept boxes [from, to) suppresses b (IoU > iou_threshold), without branches so that it vectorizes.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
bool AnySuppresses(const float* __restrict kx1, const float* __restrict ky1, const float* __restrict kx2,
                   const float* __restrict ky2, const float* __restrict ka, size_t from, size_t to, const float* b,
                   float b_area, float iou_threshold) {
  const float bx1 = b[0], by1 = b[1], bx2 = b[2], by2 = b[3];
  int any = 0;
  for (size_t k = from; k < to; ++k) {
    const float iw = (kx2[k] < bx2 ? kx2[k] : bx2) - (kx1[k] > bx1 ? kx1[k] : bx1);
    const float ih = (ky2[k] < by2 ? ky2[k] : by2) - (ky1[k] > by1 ? ky1[k] : by1);
    const float inter = iw * ih;
    const float uni = ka[k] + b_area - inter;
    any |= static_cast<int>(iw > 0.f) & static_cast<int>(ih > 0.f) & static_cast<int>(uni > 0.f) &
           static_cast<int>(inter / uni > iou_threshold);
  }
  return any != 0;
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
  // Stable LSD radix sort on a 32-bit key that orders floats descending; candidates enter in index order, so equal
  // scores keep the lower index first. -0 is folded into +0 (they compare equal). NaN never passes the threshold.
  std::vector<uint32_t> keys;
  std::vector<int32_t> order;
  keys.reserve(n);
  order.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (!(scores[i] >= score_threshold)) continue;
    const float s = scores[i] + 0.0f;
    uint32_t bits;
    std::memcpy(&bits, &s, sizeof bits);
    bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // ascending as unsigned
    keys.push_back(~bits);                                         // descending
    order.push_back(static_cast<int32_t>(i));
  }
  std::vector<uint32_t> keys2(keys.size());
  std::vector<int32_t> order2(order.size());
  for (int shift = 0; shift < 32; shift += 8) {
    size_t count[257] = {0};
    for (uint32_t k : keys) ++count[((k >> shift) & 255u) + 1];
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (size_t i = 0; i < keys.size(); ++i) {
      const size_t at = count[(keys[i] >> shift) & 255u]++;
      keys2[at] = keys[i];
      order2[at] = order[i];
    }
    keys.swap(keys2);
    order.swap(order2);
  }
  return order;
}

std::vector<int32_t> Nms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                         float score_threshold) {
  const std::vector<int32_t> order = NmsOrder(scores, n, score_threshold);
  // Test each candidate against the kept boxes in runs of 32, highest scores first: most suppressed candidates are
  // suppressed by an early kept box, so stopping after the first run that suppresses keeps the early exit.
  constexpr size_t kRun = 32;
  KeptBoxes kept;
  std::vector<int32_t> keep;
  for (int32_t i : order) {
    if (keep.size() >= max_out) break;
    const float* b = boxes + 4 * static_cast<size_t>(i);
    const float area = Area(b);
    bool suppressed = false;
    for (size_t from = 0; from < keep.size() && !suppressed; from += kRun) {
      suppressed = AnySuppresses(kept.x1.data(), kept.y1.data(), kept.x2.data(), kept.y2.data(), kept.area.data(),
                                 from, std::min(from + kRun, keep.size()), b, area, iou_threshold);
    }
    if (suppressed) continue;
    keep.push_back(i);
    kept.Add(b, area);
  }
  return keep;
}

}  // namespace loupe
