#include "preprocess.h"

#include <stdexcept>
#include <vector>

#include "check.h"

using loupe::PreprocessParams;
using loupe::RgbImage;

int main() {
  // Weights of one output sum to 1, and a 2x antialiased bilinear downscale reads 4 source pixels.
  const loupe::AxisCoeffs c = loupe::ResizeCoeffs(0, 32, 16, 0, 16, 32, loupe::Resample::Bilinear, true);
  for (int i = 0; i < 16; ++i) {
    double sum = 0;
    for (int k = 0; k < c.count[i]; ++k) sum += c.weights[i * c.stride + k];
    CHECK_NEAR(sum, 1.0, 1e-6);
  }
  CHECK(c.count[5] == 4);
  CHECK_NEAR(c.weights[5 * c.stride], 0.125, 1e-6);
  CHECK_NEAR(c.weights[5 * c.stride + 1], 0.375, 1e-6);

  // A constant image maps to (v * rescale - mean) / std everywhere, for any box and mode.
  std::vector<uint8_t> px(40 * 30 * 3, 0);
  for (size_t i = 0; i < px.size(); i += 3) px[i] = 200, px[i + 1] = 100, px[i + 2] = 50;
  const RgbImage img{px.data(), 40, 30};
  PreprocessParams p;
  p.size = 8;
  p.mode = loupe::ResizeMode::ShortestEdgeCenterCrop;
  p.mean[0] = 0.5f;
  p.std[0] = 0.25f;
  const float boxes[8] = {-5, -5, 50, 12, 3.5f, 2.25f, 4.0f, 29.0f};
  std::vector<float> out(2 * 3 * 64);
  loupe::PreprocessBatch(img, boxes, 2, p, out.data());
  for (int b = 0; b < 2; ++b) {
    for (int i = 0; i < 64; ++i) {
      CHECK_NEAR(out[b * 192 + i], (200.f / 255 - 0.5f) / 0.25f, 1e-4);
      CHECK_NEAR(out[b * 192 + 64 + i], 100.f / 255, 1e-4);
      CHECK_NEAR(out[b * 192 + 128 + i], 50.f / 255, 1e-4);
    }
  }

  // Clipping, and zero-area / NaN / outside boxes rejected before any work.
  float clipped[4] = {-3, 5, 100, 10};
  CHECK(loupe::ClipBox(clipped, 40, 30) && clipped[0] == 0 && clipped[2] == 40);
  float inverted[4] = {10, 10, 5, 20};
  CHECK(!loupe::ClipBox(inverted, 40, 30));
  float outside[4] = {41, 0, 50, 10};
  CHECK(!loupe::ClipBox(outside, 40, 30));
  float nan_box[4] = {0, std::nanf(""), 5, 5};
  CHECK(!loupe::ClipBox(nan_box, 40, 30));
  const float bad[8] = {0, 0, 10, 10, 3, 3, 3, 9};
  CHECK(loupe_test::Throws<std::invalid_argument>([&] { loupe::PreprocessBatch(img, bad, 2, p, out.data()); }));

  // Letterbox: scale, padding, BGR order.
  std::vector<float> lb(3 * 20 * 20);
  const float r = loupe::Letterbox(img, 20, 20, 114.f, lb.data());
  CHECK_NEAR(r, 0.5, 1e-6);  // 40x30 -> 20x15
  CHECK_NEAR(lb[0], 50, 1e-3);            // B plane
  CHECK_NEAR(lb[2 * 400], 200, 1e-3);     // R plane
  CHECK(lb[15 * 20 + 3] == 114.f);        // row 15 is padding
  return loupe_test::Finish("preprocess_test");
}
