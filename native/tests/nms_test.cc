#include "nms.h"

#include <cmath>
#include <vector>

#include "check.h"

int main() {
  // A and B overlap with IoU 0.68; D covers half of A (IoU 0.5); C is apart.
  const float boxes[16] = {0, 0, 10, 10, 1, 1, 11, 11, 20, 20, 30, 30, 0, 0, 10, 5};
  const float scores[4] = {0.9f, 0.8f, 0.7f, 0.95f};
  CHECK_NEAR(loupe::BoxIou(boxes, boxes + 4), 81.0 / 119.0, 1e-6);
  CHECK((loupe::Nms(boxes, scores, 4, 0.5f, 100, 0.f) == std::vector<int32_t>{3, 0, 2}));
  CHECK((loupe::Nms(boxes, scores, 4, 0.49f, 100, 0.f) == std::vector<int32_t>{3, 1, 2}));
  CHECK((loupe::Nms(boxes, scores, 4, 0.5f, 2, 0.f) == std::vector<int32_t>{3, 0}));
  CHECK((loupe::Nms(boxes, scores, 4, 0.5f, 100, 0.85f) == std::vector<int32_t>{3, 0}));
  CHECK(loupe::Nms(boxes, scores, 0, 0.5f, 100, 0.f).empty());
  // Inverted and NaN boxes have zero area: they never suppress and are never suppressed; NaN scores are dropped.
  const float odd[12] = {10, 10, 0, 0, std::nanf(""), 0, 1, 1, 0, 0, 10, 10};
  const float odd_scores[3] = {0.9f, 0.8f, std::nanf("")};
  CHECK((loupe::Nms(odd, odd_scores, 3, 0.1f, 100, -1.f) == std::vector<int32_t>{0, 1}));
  return loupe_test::Finish("nms_test");
}
