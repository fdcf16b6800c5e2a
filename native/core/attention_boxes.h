// DINO-style attention maps -> region boxes: per-head CLS->patch attention, one map (v1: mean of heads) or one per head
// (v2), bilinearly upsampled to a working resolution of the image, thresholded with Otsu, split into 8-connected
// components whose bounding boxes become regions scored by their fractional area.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loupe {

enum class AttentionMode { MeanOfHeads, PerHead };

struct AttentionParams {
  int heads = 1;
  int grid_w = 1;  // patch grid
  int grid_h = 1;
  int image_w = 1;  // original image
  int image_h = 1;
  int resolution = 512;  // the working map's longer side is min(resolution, max(image_w, image_h))
  AttentionMode mode = AttentionMode::MeanOfHeads;
  float min_area = 0.f;  // drop components covering less than this fraction of the map
  size_t max_boxes = 100;
};

struct AttentionBoxes {
  std::vector<float> boxes;   // n * 4 in original pixels
  std::vector<float> scores;  // component pixels / map pixels
  std::vector<int32_t> maps;  // which map: 0 for v1, the head for v2
};

/** Working map size for an image: the longer side scaled to min(resolution, longer side), each side at least 1. */
void AttentionWorkSize(const AttentionParams& p, int* work_w, int* work_h);

/** Bilinear (half-pixel centres, edge-clamped) upsampling of a grid_h x grid_w map to work_h x work_w, in double. */
std::vector<double> UpsampleBilinear(const double* map, int grid_w, int grid_h, int work_w, int work_h);

/** Otsu's threshold over a 256-bin histogram spanning [min, max]: returns the last bin of the background class, or -1
 * when the map is flat. Foreground = pixels whose bin is > the returned bin. */
int OtsuBin(const std::vector<double>& values, double* lo, double* hi);

/** 8-connected components of `mask` (work_w x work_h): per component its bounding box in work pixels
 * (x1,y1,x2,y2 exclusive) and pixel count, in raster order of first pixel. */
struct Component {
  int x1, y1, x2, y2;
  int64_t pixels;
};
std::vector<Component> ConnectedComponents(const std::vector<uint8_t>& mask, int work_w, int work_h);

/** `attentions` holds heads * grid_h * grid_w floats. Results sorted by descending score (ties: map, then raster). */
AttentionBoxes AttentionToBoxes(const float* attentions, const AttentionParams& params);

}  // namespace loupe
