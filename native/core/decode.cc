#include "decode.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace loupe {
namespace {

void ClipTo(float* b, int w, int h) {
  if (w <= 0 || h <= 0) return;
  b[0] = std::min(std::max(b[0], 0.f), static_cast<float>(w));
  b[2] = std::min(std::max(b[2], 0.f), static_cast<float>(w));
  b[1] = std::min(std::max(b[1], 0.f), static_cast<float>(h));
  b[3] = std::min(std::max(b[3], 0.f), static_cast<float>(h));
}

}  // namespace

size_t YoloxAnchorCount(int input_w, int input_h, const std::vector<int>& strides) {
  size_t n = 0;
  for (int s : strides) {
    if (s <= 0) throw std::invalid_argument("decodeYolox: strides must be positive");
    n += static_cast<size_t>(input_h / s) * static_cast<size_t>(input_w / s);
  }
  return n;
}

Detections DecodeYolox(const float* output, size_t anchors, size_t classes, const YoloxParams& p) {
  if (anchors != YoloxAnchorCount(p.input_w, p.input_h, p.strides)) {
    throw std::invalid_argument("decodeYolox: the output's anchor count does not match the input size and strides");
  }
  if (classes == 0 || !(p.scale > 0.f)) throw std::invalid_argument("decodeYolox: no classes or a non-positive scale");
  Detections d;
  const size_t row = 5 + classes;
  size_t a = 0;
  for (int s : p.strides) {
    const int gw = p.input_w / s, gh = p.input_h / s;
    for (int gy = 0; gy < gh; ++gy) {
      for (int gx = 0; gx < gw; ++gx, ++a) {
        const float* o = output + a * row;
        size_t best = 0;
        for (size_t c = 1; c < classes; ++c) {
          if (o[5 + c] > o[5 + best]) best = c;
        }
        const float score = o[4] * o[5 + best];
        if (!(score >= p.score_threshold)) continue;
        const float cx = (o[0] + gx) * s, cy = (o[1] + gy) * s;
        const float w = std::exp(o[2]) * s, h = std::exp(o[3]) * s;
        float b[4] = {(cx - w / 2) / p.scale, (cy - h / 2) / p.scale, (cx + w / 2) / p.scale, (cy + h / 2) / p.scale};
        ClipTo(b, p.image_w, p.image_h);
        d.boxes.insert(d.boxes.end(), b, b + 4);
        d.scores.push_back(score);
        d.labels.push_back(static_cast<int32_t>(best));
      }
    }
  }
  return d;
}

Detections DecodeOwl(const float* logits, const float* pred_boxes, size_t patches, size_t queries, const OwlParams& p) {
  if (queries == 0) throw std::invalid_argument("decodeOwl: no queries");
  std::vector<float> score(patches);
  std::vector<int32_t> label(patches);
  std::vector<int32_t> order;
  for (size_t i = 0; i < patches; ++i) {
    const float* l = logits + i * queries;
    size_t best = 0;
    for (size_t q = 1; q < queries; ++q) {
      if (l[q] > l[best]) best = q;
    }
    score[i] = 1.f / (1.f + std::exp(-l[best]));
    label[i] = static_cast<int32_t>(best);
    if (score[i] >= p.score_threshold) order.push_back(static_cast<int32_t>(i));
  }
  const size_t k = std::min(p.top_k, order.size());
  std::partial_sort(order.begin(), order.begin() + k, order.end(), [&score](int32_t a, int32_t b) {
    return score[a] > score[b] || (score[a] == score[b] && a < b);
  });
  const float sw = p.pad_to_square ? static_cast<float>(std::max(p.image_w, p.image_h)) : static_cast<float>(p.image_w);
  const float sh = p.pad_to_square ? static_cast<float>(std::max(p.image_w, p.image_h)) : static_cast<float>(p.image_h);
  Detections d;
  for (size_t j = 0; j < k; ++j) {
    const int32_t i = order[j];
    const float* pb = pred_boxes + 4 * static_cast<size_t>(i);
    float b[4] = {(pb[0] - pb[2] / 2) * sw, (pb[1] - pb[3] / 2) * sh, (pb[0] + pb[2] / 2) * sw, (pb[1] + pb[3] / 2) * sh};
    ClipTo(b, p.image_w, p.image_h);
    d.boxes.insert(d.boxes.end(), b, b + 4);
    d.scores.push_back(score[i]);
    d.labels.push_back(label[i]);
  }
  return d;
}

}  // namespace loupe
