// Text recognition post- and pre-processing for PP-OCR (DB detector, CTC recognizer). No N-API here.
//
//   DbBoxes:   the detector's probability map → binarize → 8-connected components → convex hull → minimum-area
//              rectangle (rotating calipers) → score (mean probability of the component) → unclip (grow each side by
//              area * ratio / perimeter, what PaddleOCR's polygon offset does to a rectangle) → quads in original pixels.
//   CtcDecode: per time step the best class, repeats collapsed, blanks dropped; each kept character keeps its
//              probability and the time steps it spans (word boxes are cut from those).
//   WarpQuads: each quad (a possibly rotated rectangle) resampled upright into a [n, 3, H, W] tensor, area-averaged
//              when shrinking, optionally turned 180 degrees, BGR or RGB planes, normalized, right-padded with 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "preprocess.h"

namespace loupe {

struct DbParams {
  float threshold = 0.3f;      // binarization of the probability map
  float box_threshold = 0.6f;  // a component's mean probability must reach this
  float unclip_ratio = 1.5f;
  float min_size = 3.f;        // shorter rectangle side, in map pixels, before and (+2) after unclipping
  size_t max_candidates = 1000;
  float scale_x = 1.f;  // original px = map px * scale
  float scale_y = 1.f;
  int image_w = 0;  // clip to the original image (0: no clipping)
  int image_h = 0;
};

struct DbResult {
  std::vector<float> quads;   // n * 8: top-left, top-right, bottom-right, bottom-left (x, y), original pixels
  std::vector<float> scores;  // n
  size_t components = 0;      // components found before the max_candidates cap (largest first are kept)
};

/** Text boxes from a DB probability map of `width * height` values (row-major), sorted top to bottom, left to right. */
DbResult DbBoxes(const float* prob, int width, int height, const DbParams& params);

/** A minimum-area rectangle around points (x, y interleaved): centre, side lengths, unit vector of the first side. */
struct RotatedRect {
  float cx = 0, cy = 0, w = 0, h = 0, ux = 1, uy = 0;
};
RotatedRect MinAreaRect(std::vector<float> points);

struct CtcResult {
  std::vector<int32_t> classes;  // kept characters' class ids, all items concatenated
  std::vector<float> probs;      // each character's probability
  std::vector<int32_t> first;    // first and last time step of each character
  std::vector<int32_t> last;
  std::vector<int32_t> offsets;  // batch + 1: item i's characters are [offsets[i], offsets[i + 1])
};

/** Greedy CTC decoding of `probs` [batch, steps, classes] (softmax already applied); `blank` is dropped. With a
 * `space` class (>= 0), a blank step between two characters where the space class still has probability >=
 * `space_threshold` reads as a space: PP-OCR's recognizer often puts a real word gap just below its blank (p 0.05-0.2
 * there, under 0.01 inside words). Such a space's probability is p(blank) + p(space). */
CtcResult CtcDecode(const float* probs, size_t batch, size_t steps, size_t classes, int blank, int space = -1,
                    float space_threshold = 1.f);

struct WarpParams {
  int height = 48;        // output rows
  int batch_width = 320;  // output columns (each crop is drawn into its own width, the rest is padding)
  bool bgr = true;
  float mean[3] = {0.5f, 0.5f, 0.5f};  // in the output plane order
  float std[3] = {0.5f, 0.5f, 0.5f};
  float rescale = 1.f / 255.f;
};

/** Writes n crops [n, 3, height, batch_width] into `out`. `quads` n * 8 as DbBoxes gives them; `widths[i]` the
 * columns crop i fills (1..batch_width); `rotate180[i]` turns crop i upside down. Throws std::invalid_argument on a
 * width out of range or a non-finite quad. */
void WarpQuads(const RgbImage& image, const float* quads, const int32_t* widths, const uint8_t* rotate180, size_t n,
               const WarpParams& params, float* out);

}  // namespace loupe
