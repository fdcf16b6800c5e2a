#include "decode.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "check.h"

int main() {
  loupe::YoloxParams p;
  CHECK(loupe::YoloxAnchorCount(640, 640, p.strides) == 8400);
  const size_t classes = 2, row = 5 + classes;
  std::vector<float> out(8400 * row, 0.f);
  const size_t a = 20 * 80 + 10;  // stride 8, cell (10, 20)
  const float planted[7] = {0.5f, 0.5f, std::log(4.f), std::log(4.f), 0.9f, 0.2f, 0.8f};
  std::copy(planted, planted + 7, out.begin() + a * row);
  p.scale = 0.5f;
  p.image_w = 1280;
  p.image_h = 960;
  p.score_threshold = 0.5f;
  const loupe::Detections d = loupe::DecodeYolox(out.data(), 8400, classes, p);
  CHECK(d.scores.size() == 1 && d.labels[0] == 1);
  CHECK_NEAR(d.scores[0], 0.72, 1e-6);
  CHECK_NEAR(d.boxes[0], 136, 1e-3);
  CHECK_NEAR(d.boxes[1], 296, 1e-3);
  CHECK_NEAR(d.boxes[2], 200, 1e-3);
  CHECK_NEAR(d.boxes[3], 360, 1e-3);
  CHECK(loupe_test::Throws<std::invalid_argument>([&] { loupe::DecodeYolox(out.data(), 8399, classes, p); }));

  const float logits[4] = {-5, 3, 0, -1};  // 2 patches x 2 queries
  const float boxes[8] = {0.5f, 0.5f, 0.2f, 0.4f, 0.1f, 0.1f, 0.2f, 0.2f};
  loupe::OwlParams o;
  o.image_w = 200;
  o.image_h = 100;
  o.top_k = 1;
  const loupe::Detections w = loupe::DecodeOwl(logits, boxes, 2, 2, o);
  CHECK(w.scores.size() == 1 && w.labels[0] == 1);
  CHECK_NEAR(w.scores[0], 1 / (1 + std::exp(-3.0)), 1e-6);
  CHECK_NEAR(w.boxes[0], 80, 1e-4);
  CHECK_NEAR(w.boxes[3], 70, 1e-4);
  return loupe_test::Finish("decode_test");
}
