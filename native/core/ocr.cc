// PP-OCR post- and pre-processing: DB boxes, CTC decoding, upright crops (see ocr.h).
#include "ocr.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace loupe {
namespace {

struct Pt {
  float x, y;
};

float Cross(const Pt& o, const Pt& a, const Pt& b) { return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x); }

// Andrew's monotone chain; counter-clockwise, no repeated end point.
std::vector<Pt> ConvexHull(std::vector<Pt> p) {
  std::sort(p.begin(), p.end(), [](const Pt& a, const Pt& b) { return a.x < b.x || (a.x == b.x && a.y < b.y); });
  p.erase(std::unique(p.begin(), p.end(), [](const Pt& a, const Pt& b) { return a.x == b.x && a.y == b.y; }), p.end());
  if (p.size() < 3) return p;
  std::vector<Pt> h(2 * p.size());
  size_t k = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    while (k >= 2 && Cross(h[k - 2], h[k - 1], p[i]) <= 0) --k;
    h[k++] = p[i];
  }
  for (size_t i = p.size() - 1, t = k + 1; i > 0; --i) {
    while (k >= t && Cross(h[k - 2], h[k - 1], p[i - 1]) <= 0) --k;
    h[k++] = p[i - 1];
  }
  h.resize(k - 1);
  return h;
}

// The rectangle's side closest to horizontal is the reading direction, unless the other side is 1.5 times longer
// (a vertical line of text, read top to bottom, as PaddleOCR turns such crops). u points right (or down).
RotatedRect Orient(RotatedRect r) {
  float ax = r.ux, ay = r.uy, la = r.w, lb = r.h;  // side a along u, side b along v = (-uy, ux)
  float bx = -r.uy, by = r.ux;
  if (std::fabs(by) < std::fabs(ay)) {  // b is closer to horizontal: swap
    std::swap(ax, bx);
    std::swap(ay, by);
    std::swap(la, lb);
  }
  if (lb >= 1.5f * la) {
    std::swap(ax, bx);
    std::swap(ay, by);
    std::swap(la, lb);
  }
  if (ax < 0 || (ax == 0 && ay < 0)) {
    ax = -ax;
    ay = -ay;
  }
  if (std::fabs(ax) < 1e-6f && ay < 0) ay = -ay;
  r.ux = ax;
  r.uy = ay;
  r.w = la;
  r.h = lb;
  return r;
}

}  // namespace

RotatedRect MinAreaRect(std::vector<float> points) {
  std::vector<Pt> p(points.size() / 2);
  for (size_t i = 0; i < p.size(); ++i) p[i] = {points[2 * i], points[2 * i + 1]};
  const auto hull = ConvexHull(p);
  RotatedRect best;
  if (hull.empty()) return best;
  if (hull.size() < 3) {  // a point or a segment
    const Pt a = hull.front(), b = hull.back();
    const float len = std::hypot(b.x - a.x, b.y - a.y);
    best.cx = (a.x + b.x) / 2;
    best.cy = (a.y + b.y) / 2;
    best.w = len;
    best.h = 0;
    if (len > 0) {
      best.ux = (b.x - a.x) / len;
      best.uy = (b.y - a.y) / len;
    }
    return best;
  }
  float best_area = std::numeric_limits<float>::infinity();
  for (size_t i = 0; i < hull.size(); ++i) {
    const Pt a = hull[i], b = hull[(i + 1) % hull.size()];
    const float len = std::hypot(b.x - a.x, b.y - a.y);
    if (len <= 0) continue;
    const float ux = (b.x - a.x) / len, uy = (b.y - a.y) / len;
    float min_u = std::numeric_limits<float>::infinity(), max_u = -min_u, min_v = min_u, max_v = -min_u;
    for (const Pt& q : hull) {
      const float pu = q.x * ux + q.y * uy, pv = -q.x * uy + q.y * ux;
      min_u = std::min(min_u, pu);
      max_u = std::max(max_u, pu);
      min_v = std::min(min_v, pv);
      max_v = std::max(max_v, pv);
    }
    const float area = (max_u - min_u) * (max_v - min_v);
    if (area < best_area - 1e-4f) {
      best_area = area;
      const float mu = (min_u + max_u) / 2, mv = (min_v + max_v) / 2;
      best = {mu * ux - mv * uy, mu * uy + mv * ux, max_u - min_u, max_v - min_v, ux, uy};
    }
  }
  return best;
}

DbResult DbBoxes(const float* prob, int width, int height, const DbParams& params) {
  if (width <= 0 || height <= 0) throw std::invalid_argument("DbBoxes: empty probability map");
  const size_t n = static_cast<size_t>(width) * height;
  std::vector<int32_t> label(n, -1);
  struct Component {
    std::vector<int32_t> pixels;
    double sum = 0;
  };
  std::vector<Component> comps;
  std::vector<int32_t> stack;
  for (size_t start = 0; start < n; ++start) {
    if (label[start] >= 0 || !(prob[start] > params.threshold)) continue;
    const int32_t id = static_cast<int32_t>(comps.size());
    comps.emplace_back();
    Component& c = comps.back();
    label[start] = id;
    stack.assign(1, static_cast<int32_t>(start));
    while (!stack.empty()) {
      const int32_t i = stack.back();
      stack.pop_back();
      c.pixels.push_back(i);
      c.sum += prob[i];
      const int x = i % width, y = i / width;
      for (int dy = -1; dy <= 1; ++dy) {
        const int yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (int dx = -1; dx <= 1; ++dx) {
          const int xx = x + dx;
          if (xx < 0 || xx >= width || (dx == 0 && dy == 0)) continue;
          const int32_t j = yy * width + xx;
          if (label[j] < 0 && prob[j] > params.threshold) {
            label[j] = id;
            stack.push_back(j);
          }
        }
      }
    }
  }
  DbResult out;
  out.components = comps.size();
  std::vector<size_t> order(comps.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // The largest components first, so a cap keeps the text most likely to matter.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return comps[a].pixels.size() > comps[b].pixels.size(); });
  if (order.size() > params.max_candidates) order.resize(params.max_candidates);
  struct Box {
    float q[8];
    float score;
  };
  std::vector<Box> boxes;
  std::vector<float> pts;
  for (size_t k : order) {
    const Component& c = comps[k];
    const float score = static_cast<float>(c.sum / c.pixels.size());
    if (score < params.box_threshold) continue;
    // The hull of a pixel set is the hull of each row's two extreme pixels' corners.
    int y0 = height, y1 = -1;
    for (int32_t i : c.pixels) {
      y0 = std::min(y0, i / width);
      y1 = std::max(y1, i / width);
    }
    std::vector<int> lo(y1 - y0 + 1, width), hi(y1 - y0 + 1, -1);
    for (int32_t i : c.pixels) {
      const int x = i % width, r = i / width - y0;
      lo[r] = std::min(lo[r], x);
      hi[r] = std::max(hi[r], x);
    }
    pts.clear();
    for (int r = 0; r <= y1 - y0; ++r) {
      const float y = static_cast<float>(y0 + r);
      pts.insert(pts.end(), {float(lo[r]), y, float(hi[r] + 1), y, float(lo[r]), y + 1, float(hi[r] + 1), y + 1});
    }
    RotatedRect rect = MinAreaRect(pts);
    if (std::min(rect.w, rect.h) < params.min_size) continue;
    const float d = rect.w * rect.h * params.unclip_ratio / (2 * (rect.w + rect.h));
    rect.w += 2 * d;
    rect.h += 2 * d;
    if (std::min(rect.w, rect.h) < params.min_size + 2) continue;
    rect = Orient(rect);
    const float vx = -rect.uy, vy = rect.ux;
    const float hw = rect.w / 2, hh = rect.h / 2;
    const float sx[4] = {-hw, hw, hw, -hw}, sy[4] = {-hh, -hh, hh, hh};
    Box b;
    b.score = score;
    for (int j = 0; j < 4; ++j) {
      float x = (rect.cx + sx[j] * rect.ux + sy[j] * vx) * params.scale_x;
      float y = (rect.cy + sx[j] * rect.uy + sy[j] * vy) * params.scale_y;
      if (params.image_w > 0) x = std::min(std::max(x, 0.f), static_cast<float>(params.image_w));
      if (params.image_h > 0) y = std::min(std::max(y, 0.f), static_cast<float>(params.image_h));
      b.q[2 * j] = x;
      b.q[2 * j + 1] = y;
    }
    boxes.push_back(b);
  }
  // Reading order: by top edge, then left to right among boxes whose tops are within 10 pixels (as PaddleOCR).
  auto top = [](const Box& b) { return std::min(std::min(b.q[1], b.q[3]), std::min(b.q[5], b.q[7])); };
  auto left = [](const Box& b) { return std::min(std::min(b.q[0], b.q[2]), std::min(b.q[4], b.q[6])); };
  std::stable_sort(boxes.begin(), boxes.end(), [&](const Box& a, const Box& b) { return top(a) < top(b) || (top(a) == top(b) && left(a) < left(b)); });
  for (size_t i = 1; i < boxes.size(); ++i) {
    for (size_t j = i; j > 0 && std::fabs(top(boxes[j]) - top(boxes[j - 1])) < 10 && left(boxes[j]) < left(boxes[j - 1]); --j) {
      std::swap(boxes[j], boxes[j - 1]);
    }
  }
  for (const Box& b : boxes) {
    out.quads.insert(out.quads.end(), b.q, b.q + 8);
    out.scores.push_back(b.score);
  }
  return out;
}

CtcResult CtcDecode(const float* probs, size_t batch, size_t steps, size_t classes, int blank, int space,
                    float space_threshold) {
  CtcResult r;
  r.offsets.push_back(0);
  for (size_t b = 0; b < batch; ++b) {
    int prev = -1;
    for (size_t t = 0; t < steps; ++t) {
      const float* row = probs + (b * steps + t) * classes;
      const size_t best = static_cast<size_t>(std::max_element(row, row + classes) - row);
      const int cls = static_cast<int>(best);
      if (cls != blank && cls == prev && !r.classes.empty() && static_cast<int32_t>(r.classes.size()) > r.offsets.back()) {
        // The same character continues: it spans one more step; its probability is the best of its steps.
        r.last.back() = static_cast<int32_t>(t);
        r.probs.back() = std::max(r.probs.back(), row[best]);
      } else if (cls != blank) {
        if (cls == space && static_cast<int32_t>(r.classes.size()) > r.offsets.back() && r.classes.back() == space) {
          r.last.back() = static_cast<int32_t>(t);  // a space right after an inserted one: the same gap
        } else {
          r.classes.push_back(cls);
          r.probs.push_back(row[best]);
          r.first.push_back(static_cast<int32_t>(t));
          r.last.push_back(static_cast<int32_t>(t));
        }
      } else if (space >= 0 && static_cast<size_t>(space) < classes && row[space] >= space_threshold &&
                 static_cast<int32_t>(r.classes.size()) > r.offsets.back() && r.classes.back() != space) {
        r.classes.push_back(space);
        r.probs.push_back(row[blank] + row[space]);
        r.first.push_back(static_cast<int32_t>(t));
        r.last.push_back(static_cast<int32_t>(t));
      }
      prev = cls;
    }
    r.offsets.push_back(static_cast<int32_t>(r.classes.size()));
  }
  return r;
}

namespace {

// Bilinear sample of channel c at continuous pixel coordinates (pixel centres at +0.5), edges clamped.
inline float Sample(const RgbImage& im, float x, float y, int c) {
  x -= 0.5f;
  y -= 0.5f;
  x = std::min(std::max(x, 0.f), static_cast<float>(im.width - 1));
  y = std::min(std::max(y, 0.f), static_cast<float>(im.height - 1));
  const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
  const int x1 = std::min(x0 + 1, im.width - 1), y1 = std::min(y0 + 1, im.height - 1);
  const float fx = x - x0, fy = y - y0;
  auto at = [&](int xx, int yy) { return static_cast<float>(im.data[(static_cast<size_t>(yy) * im.width + xx) * 3 + c]); };
  return (at(x0, y0) * (1 - fx) + at(x1, y0) * fx) * (1 - fy) + (at(x0, y1) * (1 - fx) + at(x1, y1) * fx) * fy;
}

}  // namespace

void WarpQuads(const RgbImage& image, const float* quads, const int32_t* widths, const uint8_t* rotate180, size_t n,
               const WarpParams& p, float* out) {
  const int H = p.height, W = p.batch_width;
  if (H <= 0 || W <= 0) throw std::invalid_argument("WarpQuads: empty output");
  for (size_t i = 0; i < n; ++i) {
    if (widths[i] < 1 || widths[i] > W) throw std::invalid_argument("WarpQuads: crop width " + std::to_string(widths[i]) + " outside 1.." + std::to_string(W));
    for (int j = 0; j < 8; ++j) {
      if (!std::isfinite(quads[i * 8 + j])) throw std::invalid_argument("WarpQuads: non-finite quad");
    }
  }
  const size_t plane = static_cast<size_t>(H) * W;
  std::fill(out, out + n * 3 * plane, 0.f);
#pragma omp parallel for schedule(dynamic)
  for (long long item = 0; item < static_cast<long long>(n * H); ++item) {
    const size_t i = static_cast<size_t>(item) / H;
    const int y = static_cast<int>(item % H);
    const float* q = quads + i * 8;
    const int Wi = widths[i];
    const float top_len = std::hypot(q[2] - q[0], q[3] - q[1]);
    const float side_len = std::hypot(q[6] - q[0], q[7] - q[1]);
    // Area averaging when shrinking: k x k bilinear samples per output pixel.
    const int kx = std::min(8, std::max(1, static_cast<int>(std::ceil(top_len / Wi))));
    const int ky = std::min(8, std::max(1, static_cast<int>(std::ceil(side_len / H))));
    float* dst[3];
    for (int c = 0; c < 3; ++c) dst[c] = out + (i * 3 + c) * plane + static_cast<size_t>(y) * W;
    for (int x = 0; x < Wi; ++x) {
      float acc[3] = {0, 0, 0};
      for (int sy = 0; sy < ky; ++sy) {
        for (int sx = 0; sx < kx; ++sx) {
          float s = (x + (sx + 0.5f) / kx) / Wi, t = (y + (sy + 0.5f) / ky) / H;
          if (rotate180[i]) {
            s = 1 - s;
            t = 1 - t;
          }
          const float px = (1 - t) * ((1 - s) * q[0] + s * q[2]) + t * ((1 - s) * q[6] + s * q[4]);
          const float py = (1 - t) * ((1 - s) * q[1] + s * q[3]) + t * ((1 - s) * q[7] + s * q[5]);
          for (int c = 0; c < 3; ++c) acc[c] += Sample(image, px, py, c);
        }
      }
      const float k = static_cast<float>(kx * ky);
      for (int c = 0; c < 3; ++c) {
        const int src = p.bgr ? 2 - c : c;
        dst[c][x] = (acc[src] / k * p.rescale - p.mean[c]) / p.std[c];
      }
    }
  }
}

}  // namespace loupe
