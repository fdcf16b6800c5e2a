#include "attention_boxes.h"

#include <vector>

#include "check.h"

int main() {
  // Otsu on a bimodal sample splits between the modes.
  std::vector<double> v(1000, 10.0);
  for (int i = 0; i < 300; ++i) v[i] = 200.0;
  double lo = 0, hi = 0;
  const int t = loupe::OtsuBin(v, &lo, &hi);
  CHECK(t >= 0 && t < 255);
  CHECK(loupe::OtsuBin(std::vector<double>(10, 3.0), &lo, &hi) == -1);  // flat

  // Two components (8-connected: the diagonal pair is one).
  const std::vector<uint8_t> mask = {1, 0, 0, 0,  //
                                     0, 1, 0, 1,  //
                                     0, 0, 0, 1};
  const auto comps = loupe::ConnectedComponents(mask, 4, 3);
  CHECK(comps.size() == 2);
  CHECK(comps[0].pixels == 2 && comps[0].x2 == 2 && comps[0].y2 == 2);
  CHECK(comps[1].pixels == 2 && comps[1].x1 == 3 && comps[1].y1 == 1 && comps[1].y2 == 3);

  // One blob in a 14x14 map, two heads (v1 mean and v2 per head).
  std::vector<float> att(2 * 196, 0.1f);
  for (int y = 2; y < 5; ++y)
    for (int x = 2; x < 5; ++x) att[y * 14 + x] = att[196 + y * 14 + x] = 1.f;
  loupe::AttentionParams p;
  p.heads = 2;
  p.grid_w = p.grid_h = 14;
  p.image_w = p.image_h = 224;
  p.resolution = 224;
  const auto v1 = loupe::AttentionToBoxes(att.data(), p);
  CHECK(v1.scores.size() == 1 && v1.maps[0] == 0);
  CHECK(v1.boxes[0] > 20 && v1.boxes[0] < 40 && v1.boxes[2] > 72 && v1.boxes[2] < 92);
  p.mode = loupe::AttentionMode::PerHead;
  const auto v2 = loupe::AttentionToBoxes(att.data(), p);
  CHECK(v2.scores.size() == 2 && v2.maps[0] == 0 && v2.maps[1] == 1);
  return loupe_test::Finish("attention_boxes_test");
}
