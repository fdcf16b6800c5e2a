#include "ocr.h"

#include <cmath>
#include <stdexcept>
#include <vector>

#include "check.h"

namespace {
// A probability map with a filled, possibly rotated rectangle of value v (centre cx, cy; sides w, h; angle a radians).
void Fill(std::vector<float>& m, int W, int H, float cx, float cy, float w, float h, float a, float v) {
  const float c = std::cos(a), s = std::sin(a);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const float dx = x + 0.5f - cx, dy = y + 0.5f - cy;
      const float u = dx * c + dy * s, t = -dx * s + dy * c;
      if (std::fabs(u) <= w / 2 && std::fabs(t) <= h / 2) m[y * W + x] = v;
    }
}
}  // namespace

int main() {
  // Two axis-aligned lines, the lower one first in memory order of nothing: output is top to bottom.
  const int W = 200, H = 100;
  std::vector<float> m(W * H, 0.f);
  Fill(m, W, H, 100, 70, 120, 10, 0, 0.9f);
  Fill(m, W, H, 60, 20, 80, 10, 0, 0.8f);
  Fill(m, W, H, 180, 90, 3, 3, 0, 0.35f);  // faint blob: below box_threshold
  loupe::DbParams p;
  p.scale_x = 2;
  p.scale_y = 2;
  p.image_w = 400;
  p.image_h = 200;
  loupe::DbResult r = loupe::DbBoxes(m.data(), W, H, p);
  CHECK(r.components == 3);
  CHECK(r.scores.size() == 2);
  CHECK_NEAR(r.scores[0], 0.8, 1e-5);
  // Box 0: the 80 x 10 line at (60, 20), unclipped by d = 800 * 1.5 / 180 = 6.67 on each side, in original (x2) pixels.
  const float d = 80.f * 10 * 1.5f / 180;
  CHECK_NEAR(r.quads[0], (20 - d) * 2, 0.6);   // top-left x
  CHECK_NEAR(r.quads[1], (15 - d) * 2, 0.6);   // top-left y
  CHECK_NEAR(r.quads[4], (100 + d) * 2, 0.6);  // bottom-right x
  CHECK_NEAR(r.quads[5], (25 + d) * 2, 0.6);
  CHECK(r.quads[2] > r.quads[0] && r.quads[7] > r.quads[1]);  // TL, TR, BR, BL order
  // Clipped to the original image.
  for (float v : r.quads) CHECK(v >= 0 && v <= 400);

  // A line rotated by 30 degrees: the reading direction follows it, the long side stays the width.
  std::vector<float> rm(W * H, 0.f);
  const float a = 30.f * 3.14159265f / 180;
  Fill(rm, W, H, 100, 50, 100, 12, a, 0.9f);
  p.scale_x = p.scale_y = 1;
  p.image_w = p.image_h = 0;
  r = loupe::DbBoxes(rm.data(), W, H, p);
  CHECK(r.scores.size() == 1);
  if (r.scores.size() == 1) {
    const float* q = r.quads.data();
    CHECK_NEAR(std::atan2(q[3] - q[1], q[2] - q[0]), a, 0.05);
    const float top = std::hypot(q[2] - q[0], q[3] - q[1]), side = std::hypot(q[6] - q[0], q[7] - q[1]);
    CHECK(top > 100 && top < 125);
    CHECK(side > 12 && side < 35);
    CHECK_NEAR((q[0] + q[4]) / 2, 100, 1.0);
    CHECK_NEAR((q[1] + q[5]) / 2, 50, 1.0);
  }
  // The cap keeps the largest components and reports how many there were.
  p.max_candidates = 1;
  r = loupe::DbBoxes(m.data(), W, H, p);
  CHECK(r.components == 3 && r.scores.size() == 1);
  CHECK_NEAR(r.scores[0], 0.9, 1e-5);
  CHECK(loupe_test::Throws<std::invalid_argument>([&] { loupe::DbBoxes(m.data(), 0, H, p); }));

  // MinAreaRect of a square's corners rotated 45 degrees: side sqrt(2), area 2.
  const loupe::RotatedRect sq = loupe::MinAreaRect({1, 0, 2, 1, 1, 2, 0, 1});
  CHECK_NEAR(sq.w * sq.h, 2, 1e-4);
  CHECK_NEAR(sq.cx, 1, 1e-5);

  // CTC: classes 0 (blank), 1 'a', 2 'b'; steps: a a _ a b b _ -> "aab", with spans.
  const int steps = 7, classes = 3;
  const int best[steps] = {1, 1, 0, 1, 2, 2, 0};
  std::vector<float> probs(2 * steps * classes, 0.05f);
  for (int t = 0; t < steps; ++t) probs[t * classes + best[t]] = 0.9f;
  for (int t = 0; t < steps; ++t) probs[(steps + t) * classes] = 0.9f;  // item 2: all blank
  probs[2 * classes + 0] = 0.9f;
  probs[4 * classes + 2] = 0.7f;
  const loupe::CtcResult c = loupe::CtcDecode(probs.data(), 2, steps, classes, 0);
  CHECK(c.offsets.size() == 3 && c.offsets[1] == 3 && c.offsets[2] == 3);
  CHECK(c.classes.size() == 3 && c.classes[0] == 1 && c.classes[1] == 1 && c.classes[2] == 2);
  CHECK(c.first[0] == 0 && c.last[0] == 1 && c.first[1] == 3 && c.last[1] == 3 && c.first[2] == 4 && c.last[2] == 5);
  CHECK_NEAR(c.probs[2], 0.9, 1e-6);  // best of its two steps

  // A word gap just below the blank reads as one space; a faint one inside a word does not.
  {
    const int T = 7, C = 3;  // 0 blank, 1 'a', 2 space
    const float rows[T][C] = {{0.1f, 0.9f, 0}, {0.9f, 0, 0.1f}, {0.85f, 0, 0.15f}, {0.1f, 0.9f, 0},
                              {0.995f, 0, 0.005f}, {0.1f, 0.9f, 0}, {0.9f, 0, 0.1f}};
    std::vector<float> pr(&rows[0][0], &rows[0][0] + T * C);
    const loupe::CtcResult sp = loupe::CtcDecode(pr.data(), 1, T, C, 0, 2, 0.03f);
    // a, space (steps 1-2 are one gap), a, a (the faint step 4 is no space); the trailing gap is a space too.
    CHECK(sp.classes.size() == 5);
    if (sp.classes.size() == 5) {
      CHECK(sp.classes[0] == 1 && sp.classes[1] == 2 && sp.classes[2] == 1 && sp.classes[3] == 1 && sp.classes[4] == 2);
      CHECK_NEAR(sp.probs[1], 1.0, 1e-5);
    }
    const loupe::CtcResult none = loupe::CtcDecode(pr.data(), 1, T, C, 0);
    CHECK(none.classes.size() == 3);
  }

  // WarpQuads: a 4x2 image with a left half black and right half white, cropped upright and turned around.
  std::vector<uint8_t> img(4 * 2 * 3, 0);
  for (int y = 0; y < 2; ++y)
    for (int x = 2; x < 4; ++x)
      for (int ch = 0; ch < 3; ++ch) img[(y * 4 + x) * 3 + ch] = 255;
  const float quad[16] = {0, 0, 4, 0, 4, 2, 0, 2, 0, 0, 4, 0, 4, 2, 0, 2};
  const int32_t widths[2] = {4, 2};
  const uint8_t rot[2] = {0, 1};
  loupe::WarpParams wp;
  wp.height = 2;
  wp.batch_width = 5;
  std::vector<float> out(2 * 3 * 2 * 5, 7.f);
  loupe::WarpQuads({img.data(), 4, 2}, quad, widths, rot, 2, wp, out.data());
  CHECK_NEAR(out[0], -1, 1e-5);  // (0 / 255 - 0.5) / 0.5
  CHECK_NEAR(out[3], 1, 1e-5);
  CHECK_NEAR(out[4], 0, 1e-6);  // padding
  const float* second = out.data() + 3 * 2 * 5;
  CHECK(second[0] > 0.9f && second[1] < -0.9f);  // turned: white on the left (2 columns, area-averaged)
  CHECK_NEAR(second[2], 0, 1e-6);
  const int32_t bad[2] = {6, 1};
  CHECK(loupe_test::Throws<std::invalid_argument>([&] { loupe::WarpQuads({img.data(), 4, 2}, quad, bad, rot, 2, wp, out.data()); }));
  return loupe_test::Finish("ocr_test");
}
