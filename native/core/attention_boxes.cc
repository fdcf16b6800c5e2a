#include "attention_boxes.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace loupe {

void AttentionWorkSize(const AttentionParams& p, int* work_w, int* work_h) {
  const int longer = std::max(p.image_w, p.image_h);
  const double r = std::min(1.0, static_cast<double>(p.resolution) / longer);
  *work_w = std::max(1, static_cast<int>(std::lround(p.image_w * r)));
  *work_h = std::max(1, static_cast<int>(std::lround(p.image_h * r)));
}

std::vector<double> UpsampleBilinear(const double* map, int grid_w, int grid_h, int work_w, int work_h) {
  std::vector<double> out(static_cast<size_t>(work_w) * work_h);
  const double sx = static_cast<double>(grid_w) / work_w, sy = static_cast<double>(grid_h) / work_h;
  for (int y = 0; y < work_h; ++y) {
    const double fy = std::min(std::max((y + 0.5) * sy - 0.5, 0.0), grid_h - 1.0);
    const int y0 = static_cast<int>(fy);
    const int y1 = std::min(y0 + 1, grid_h - 1);
    const double ty = fy - y0;
    for (int x = 0; x < work_w; ++x) {
      const double fx = std::min(std::max((x + 0.5) * sx - 0.5, 0.0), grid_w - 1.0);
      const int x0 = static_cast<int>(fx);
      const int x1 = std::min(x0 + 1, grid_w - 1);
      const double tx = fx - x0;
      const double top = map[y0 * grid_w + x0] * (1 - tx) + map[y0 * grid_w + x1] * tx;
      const double bottom = map[y1 * grid_w + x0] * (1 - tx) + map[y1 * grid_w + x1] * tx;
      out[static_cast<size_t>(y) * work_w + x] = top * (1 - ty) + bottom * ty;
    }
  }
  return out;
}

int OtsuBin(const std::vector<double>& values, double* lo_out, double* hi_out) {
  double lo = values[0], hi = values[0];
  for (double v : values) {
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  *lo_out = lo;
  *hi_out = hi;
  if (!(hi > lo)) return -1;
  double hist[256] = {0};
  for (double v : values) hist[std::min(255, static_cast<int>((v - lo) / (hi - lo) * 256.0))] += 1;
  const double total = static_cast<double>(values.size());
  double sum = 0;
  for (int i = 0; i < 256; ++i) sum += i * hist[i];
  double w_b = 0, sum_b = 0, best = -1;
  int threshold = -1;
  for (int t = 0; t < 256; ++t) {
    w_b += hist[t];
    if (w_b == 0) continue;
    const double w_f = total - w_b;
    if (w_f == 0) break;
    sum_b += t * hist[t];
    const double m_b = sum_b / w_b, m_f = (sum - sum_b) / w_f;
    const double between = w_b * w_f * (m_b - m_f) * (m_b - m_f);
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
}

std::vector<Component> ConnectedComponents(const std::vector<uint8_t>& mask, int w, int h) {
  std::vector<int32_t> label(mask.size(), -1);
  std::vector<Component> comps;
  std::vector<int32_t> stack;
  for (int start = 0; start < w * h; ++start) {
    if (!mask[start] || label[start] >= 0) continue;
    const int32_t id = static_cast<int32_t>(comps.size());
    Component c{start % w, start / w, start % w + 1, start / w + 1, 0};
    label[start] = id;
    stack.push_back(start);
    while (!stack.empty()) {
      const int p = stack.back();
      stack.pop_back();
      const int px = p % w, py = p / w;
      ++c.pixels;
      c.x1 = std::min(c.x1, px);
      c.y1 = std::min(c.y1, py);
      c.x2 = std::max(c.x2, px + 1);
      c.y2 = std::max(c.y2, py + 1);
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dx = -1; dx <= 1; ++dx) {
          const int nx = px + dx, ny = py + dy;
          if (nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
          const int q = ny * w + nx;
          if (mask[q] && label[q] < 0) {
            label[q] = id;
            stack.push_back(q);
          }
        }
      }
    }
    comps.push_back(c);
  }
  return comps;
}

AttentionBoxes AttentionToBoxes(const float* attentions, const AttentionParams& p) {
  if (p.heads <= 0 || p.grid_w <= 0 || p.grid_h <= 0 || p.image_w <= 0 || p.image_h <= 0 || p.resolution <= 0) {
    throw std::invalid_argument("attentionToBoxes: heads, grid, image and resolution must be positive");
  }
  const size_t cells = static_cast<size_t>(p.grid_w) * p.grid_h;
  int ww = 0, wh = 0;
  AttentionWorkSize(p, &ww, &wh);
  const double sx = static_cast<double>(p.image_w) / ww, sy = static_cast<double>(p.image_h) / wh;
  const int maps = p.mode == AttentionMode::MeanOfHeads ? 1 : p.heads;
  struct Found {
    float box[4];
    float score;
    int32_t map;
  };
  std::vector<Found> found;
  std::vector<double> grid(cells);
  for (int m = 0; m < maps; ++m) {
    if (p.mode == AttentionMode::MeanOfHeads) {
      std::fill(grid.begin(), grid.end(), 0.0);
      for (int h = 0; h < p.heads; ++h) {
        for (size_t i = 0; i < cells; ++i) grid[i] += attentions[h * cells + i];
      }
      for (double& v : grid) v /= p.heads;
    } else {
      for (size_t i = 0; i < cells; ++i) grid[i] = attentions[m * cells + i];
    }
    const std::vector<double> work = UpsampleBilinear(grid.data(), p.grid_w, p.grid_h, ww, wh);
    double lo = 0, hi = 0;
    const int t = OtsuBin(work, &lo, &hi);
    if (t < 0) continue;  // a flat map has no foreground
    std::vector<uint8_t> mask(work.size());
    for (size_t i = 0; i < work.size(); ++i) {
      mask[i] = std::min(255, static_cast<int>((work[i] - lo) / (hi - lo) * 256.0)) > t;
    }
    for (const Component& c : ConnectedComponents(mask, ww, wh)) {
      const double frac = static_cast<double>(c.pixels) / work.size();
      if (frac < p.min_area) continue;
      found.push_back({{static_cast<float>(c.x1 * sx), static_cast<float>(c.y1 * sy), static_cast<float>(c.x2 * sx),
                        static_cast<float>(c.y2 * sy)},
                       static_cast<float>(frac),
                       m});
    }
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) { return a.score > b.score; });
  AttentionBoxes out;
  for (size_t i = 0; i < found.size() && i < p.max_boxes; ++i) {
    out.boxes.insert(out.boxes.end(), found[i].box, found[i].box + 4);
    out.scores.push_back(found[i].score);
    out.maps.push_back(found[i].map);
  }
  return out;
}

}  // namespace loupe
