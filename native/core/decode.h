// Detector output decoders: YOLOX grid outputs and OWL-ViT patch predictions, back to original-image pixels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace loupe {

struct Detections {
  std::vector<float> boxes;     // n * 4, x1,y1,x2,y2 in original pixels
  std::vector<float> scores;    // n
  std::vector<int32_t> labels;  // n: class (YOLOX) or query (OWL-ViT) index
};

struct YoloxParams {
  int input_w = 640;  // letterboxed model input size
  int input_h = 640;
  std::vector<int> strides{8, 16, 32};
  float scale = 1.f;  // letterbox scale r: model px = original px * r
  int image_w = 0;    // original image, for clipping (0: no clipping)
  int image_h = 0;
  float score_threshold = 0.f;
};

/** Number of anchors (grid cells over all strides) for an input size: 8,400 for 640x640 with strides 8/16/32. */
size_t YoloxAnchorCount(int input_w, int input_h, const std::vector<int>& strides);

/** Decodes a YOLOX `output` [anchors, 5 + classes] (cx,cy,w,h on the grid, objectness, class scores, both already
 * sigmoid): centre = (offset + grid cell) * stride, size = exp(wh) * stride, divided by the letterbox scale; score =
 * objectness * best class score; keeps anchors with score >= score_threshold, in anchor order. */
Detections DecodeYolox(const float* output, size_t anchors, size_t classes, const YoloxParams& params);

struct OwlParams {
  int image_w = 0;
  int image_h = 0;
  bool pad_to_square = false;  // OWLv2 pads to a square before resizing: boxes are then relative to max(w, h)
  float score_threshold = 0.f;
  size_t top_k = 100;
};

/** Decodes OWL-ViT `logits` [patches, queries] and `pred_boxes` [patches, 4] (cx,cy,w,h in 0..1): per patch the best
 * query, score = sigmoid(logit), corners in original pixels clipped to the image; the top_k by descending score (ties:
 * lower patch first) with score >= score_threshold. */
Detections DecodeOwl(const float* logits, const float* pred_boxes, size_t patches, size_t queries, const OwlParams& params);

}  // namespace loupe
