// Crop + resize + normalize of image regions into model tensors, and YOLOX letterboxing. No N-API here.
//
// Resampling follows PIL's `Image.resize(size, resample, box)`: separable filters evaluated at output pixel centres,
// with the filter support widened by the scale factor when downscaling (antialiasing), computed in float without
// PIL's 8-bit intermediate rounding. The source region may be fractional and pixels around it may contribute, exactly
// as PIL does with a `box`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loupe {

enum class ResizeMode { Squash, ShortestEdgeCenterCrop };
enum class Resample { Bilinear, Bicubic };

/** Interleaved RGB bytes, row-major, `width * height * 3` of them. */
struct RgbImage {
  const uint8_t* data;
  int width;
  int height;
};

struct PreprocessParams {
  int size = 224;
  ResizeMode mode = ResizeMode::Squash;
  float mean[3] = {0.f, 0.f, 0.f};
  float std[3] = {1.f, 1.f, 1.f};
  float rescale = 1.f / 255.f;
  Resample resample = Resample::Bicubic;
};

/** Resampling weights along one axis: output i reads source pixels [start[i], start[i] + count[i]) with weights
 * weights[i * stride + k], k < count[i]; the weights of one output sum to 1. */
struct AxisCoeffs {
  std::vector<int> start;
  std::vector<int> count;
  std::vector<float> weights;
  int stride = 0;
};

/** Weights for outputs [offset, offset + out_count) of a resize of the source span [src0, src0 + src_len) to
 * `full_len` pixels, reading from an axis of `in_size` pixels. `antialias` widens the filter when downscaling. */
AxisCoeffs ResizeCoeffs(double src0, double src_len, int full_len, int offset, int out_count, int in_size,
                        Resample resample, bool antialias);

/** The two axes of one box's resize. Throws std::invalid_argument when the box, clipped to the image, is empty or not
 * finite. */
struct CropPlan {
  AxisCoeffs x;
  AxisCoeffs y;
};
CropPlan PlanCrop(const RgbImage& image, const float box[4], const PreprocessParams& params);

/** Clips `box` (x1,y1,x2,y2) to the image in place; returns false when the clipped box has zero area or is NaN. */
bool ClipBox(float box[4], int width, int height);

/** Writes the [n, 3, size, size] tensor for `n` boxes (x1,y1,x2,y2 in original pixels) into `out`, parallel over
 * boxes. Values are resampled in 0..255 (clamped after bicubic overshoot), then `(v * rescale - mean) / std`. */
void PreprocessBatch(const RgbImage& image, const float* boxes, size_t n, const PreprocessParams& params, float* out);

/** YOLOX input: keep-ratio resize into the top-left of a target_w x target_h canvas padded with `pad`, BGR planes in
 * 0..255. The resize is bilinear without antialiasing (like cv2.INTER_LINEAR, what YOLOX trains with). Returns the
 * scale r (model px = original px * r). `out` holds 3 * target_h * target_w floats. */
float Letterbox(const RgbImage& image, int target_w, int target_h, float pad, float* out);

}  // namespace loupe
