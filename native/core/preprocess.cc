#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace loupe {
namespace {

double BilinearFilter(double x) {
  x = std::fabs(x);
  return x < 1.0 ? 1.0 - x : 0.0;
}

// Keys' cubic with a = -0.5, as PIL and Pillow-SIMD use.
double BicubicFilter(double x) {
  constexpr double a = -0.5;
  x = std::fabs(x);
  if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
  if (x < 2.0) return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
  return 0.0;
}

// Adds w * src[i] to acc[i]: the vectorizable inner loop of the vertical pass (AVX2 clone picked at load time).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
__attribute__((target_clones("avx2", "default")))
#endif
void AccumulateRow(float* __restrict acc, const uint8_t* __restrict src, float w, int count) {
  for (int i = 0; i < count; ++i) acc[i] += w * static_cast<float>(src[i]);
}

// Separable resize of one box. The vertical pass runs first, over just the columns the horizontal pass reads, because
// it vectorizes across the row; the scalar horizontal pass then only sees `size` rows. The horizontal pass clamps to
// 0..255 and normalizes into the three planes of `out` (size*size each).
// `inner_parallel` splits the rows of both passes across OpenMP threads (used when there are fewer boxes than threads).
void ResampleBox(const RgbImage& image, const CropPlan& plan, const PreprocessParams& p, float* out,
                 std::vector<float>& tmp, bool inner_parallel) {
  const int size = p.size;
  int col0 = image.width, col1 = 0;
  for (int i = 0; i < size; ++i) {
    col0 = std::min(col0, plan.x.start[i]);
    col1 = std::max(col1, plan.x.start[i] + plan.x.count[i]);
  }
  const int span = (col1 - col0) * 3;
  tmp.assign(static_cast<size_t>(size) * span, 0.f);
#pragma omp parallel for schedule(static) if (inner_parallel)
  for (int y = 0; y < size; ++y) {
    float* acc = tmp.data() + static_cast<size_t>(y) * span;
    const float* w = plan.y.weights.data() + static_cast<size_t>(y) * plan.y.stride;
    for (int k = 0; k < plan.y.count[y]; ++k) {
      const uint8_t* src = image.data + (static_cast<size_t>(plan.y.start[y] + k) * image.width + col0) * 3;
      AccumulateRow(acc, src, w[k], span);
    }
  }
  const size_t plane = static_cast<size_t>(size) * size;
  float scale[3], shift[3];
  for (int c = 0; c < 3; ++c) {
    scale[c] = p.rescale / p.std[c];
    shift[c] = -p.mean[c] / p.std[c];
  }
#pragma omp parallel for schedule(static) if (inner_parallel)
  for (int y = 0; y < size; ++y) {
    const float* row = tmp.data() + static_cast<size_t>(y) * span;
    float* o = out + static_cast<size_t>(y) * size;
    for (int x = 0; x < size; ++x) {
      const float* w = plan.x.weights.data() + static_cast<size_t>(x) * plan.x.stride;
      const float* s = row + static_cast<size_t>(plan.x.start[x] - col0) * 3;
      float a0 = 0.f, a1 = 0.f, a2 = 0.f;
      for (int k = 0; k < plan.x.count[x]; ++k) {
        a0 += w[k] * s[3 * k];
        a1 += w[k] * s[3 * k + 1];
        a2 += w[k] * s[3 * k + 2];
      }
      o[x] = std::min(255.f, std::max(0.f, a0)) * scale[0] + shift[0];
      o[plane + x] = std::min(255.f, std::max(0.f, a1)) * scale[1] + shift[1];
      o[2 * plane + x] = std::min(255.f, std::max(0.f, a2)) * scale[2] + shift[2];
    }
  }
}

}  // namespace

AxisCoeffs ResizeCoeffs(double src0, double src_len, int full_len, int offset, int out_count, int in_size,
                        Resample resample, bool antialias) {
  if (!(src_len > 0) || full_len <= 0 || out_count <= 0 || in_size <= 0) {
    throw std::invalid_argument("ResizeCoeffs: empty source or target");
  }
  const double support0 = resample == Resample::Bicubic ? 2.0 : 1.0;
  const double scale = src_len / full_len;
  const double filter_scale = antialias ? std::max(scale, 1.0) : 1.0;
  const double support = support0 * filter_scale;
  const double inv = 1.0 / filter_scale;
  AxisCoeffs c;
  c.stride = static_cast<int>(std::ceil(support)) * 2 + 1;
  c.start.resize(out_count);
  c.count.resize(out_count);
  c.weights.assign(static_cast<size_t>(out_count) * c.stride, 0.f);
  std::vector<double> w(c.stride);
  for (int i = 0; i < out_count; ++i) {
    const double center = src0 + (offset + i + 0.5) * scale;
    int lo = static_cast<int>(std::floor(center - support + 0.5));
    int hi = static_cast<int>(std::floor(center + support + 0.5));
    lo = std::max(lo, 0);
    hi = std::min(hi, in_size);
    if (hi - lo > c.stride) hi = lo + c.stride;
    double sum = 0.0;
    int n = std::max(hi - lo, 0);
    for (int k = 0; k < n; ++k) {
      w[k] = resample == Resample::Bicubic ? BicubicFilter((lo + k + 0.5 - center) * inv)
                                           : BilinearFilter((lo + k + 0.5 - center) * inv);
      sum += w[k];
    }
    if (n == 0 || sum == 0.0) {  // degenerate (sub-pixel box at the border): nearest pixel
      lo = std::min(std::max(static_cast<int>(std::floor(center)), 0), in_size - 1);
      n = 1;
      w[0] = sum = 1.0;
    }
    c.start[i] = lo;
    c.count[i] = n;
    for (int k = 0; k < n; ++k) c.weights[static_cast<size_t>(i) * c.stride + k] = static_cast<float>(w[k] / sum);
  }
  return c;
}

bool ClipBox(float box[4], int width, int height) {
  for (int k = 0; k < 4; ++k) {
    if (std::isnan(box[k])) return false;
  }
  box[0] = std::min(std::max(box[0], 0.f), static_cast<float>(width));
  box[2] = std::min(std::max(box[2], 0.f), static_cast<float>(width));
  box[1] = std::min(std::max(box[1], 0.f), static_cast<float>(height));
  box[3] = std::min(std::max(box[3], 0.f), static_cast<float>(height));
  return box[2] > box[0] && box[3] > box[1];
}

CropPlan PlanCrop(const RgbImage& image, const float box_in[4], const PreprocessParams& p) {
  float box[4] = {box_in[0], box_in[1], box_in[2], box_in[3]};
  if (!ClipBox(box, image.width, image.height)) {
    throw std::invalid_argument("preprocessBatch: a box has zero area after clipping to the image");
  }
  const double w = static_cast<double>(box[2]) - box[0];
  const double h = static_cast<double>(box[3]) - box[1];
  int full_w = p.size, full_h = p.size, off_x = 0, off_y = 0;
  if (p.mode == ResizeMode::ShortestEdgeCenterCrop) {
    // Like transformers' CLIPImageProcessor: short side -> size, long side -> int(size * long / short), then crop.
    if (w <= h) {
      full_h = std::max(p.size, static_cast<int>(p.size * h / w));
    } else {
      full_w = std::max(p.size, static_cast<int>(p.size * w / h));
    }
    off_x = (full_w - p.size) / 2;
    off_y = (full_h - p.size) / 2;
  }
  CropPlan plan;
  plan.x = ResizeCoeffs(box[0], w, full_w, off_x, p.size, image.width, p.resample, true);
  plan.y = ResizeCoeffs(box[1], h, full_h, off_y, p.size, image.height, p.resample, true);
  return plan;
}

void PreprocessBatch(const RgbImage& image, const float* boxes, size_t n, const PreprocessParams& p, float* out) {
  if (p.size <= 0) throw std::invalid_argument("preprocessBatch: size must be positive");
  if (!image.data || image.width <= 0 || image.height <= 0) throw std::invalid_argument("preprocessBatch: empty image");
  // Plan every box first so that a bad box fails before any work and no exception leaves the parallel region.
  std::vector<CropPlan> plans(n);
  for (size_t i = 0; i < n; ++i) plans[i] = PlanCrop(image, boxes + 4 * i, p);
  const size_t per_box = static_cast<size_t>(3) * p.size * p.size;
  const long long count = static_cast<long long>(n);
#ifdef _OPENMP
  const bool few_boxes = count < omp_get_max_threads();
#else
  const bool few_boxes = false;
#endif
  if (few_boxes) {  // parallel inside each box
    std::vector<float> tmp;
    for (long long i = 0; i < count; ++i) ResampleBox(image, plans[i], p, out + i * per_box, tmp, true);
    return;
  }
#pragma omp parallel
  {
    std::vector<float> tmp;
#pragma omp for schedule(dynamic, 1)
    for (long long i = 0; i < count; ++i) ResampleBox(image, plans[i], p, out + i * per_box, tmp, false);
  }
}

float Letterbox(const RgbImage& image, int target_w, int target_h, float pad, float* out) {
  if (!image.data || image.width <= 0 || image.height <= 0 || target_w <= 0 || target_h <= 0) {
    throw std::invalid_argument("letterbox: empty image or target");
  }
  const double r = std::min(static_cast<double>(target_h) / image.height, static_cast<double>(target_w) / image.width);
  const int rw = std::max(1, static_cast<int>(image.width * r));
  const int rh = std::max(1, static_cast<int>(image.height * r));
  const size_t plane = static_cast<size_t>(target_w) * target_h;
  std::fill(out, out + 3 * plane, pad);
  const AxisCoeffs cx = ResizeCoeffs(0, image.width, rw, 0, rw, image.width, Resample::Bilinear, false);
  const AxisCoeffs cy = ResizeCoeffs(0, image.height, rh, 0, rh, image.height, Resample::Bilinear, false);
#pragma omp parallel for schedule(static)
  for (int y = 0; y < rh; ++y) {
    for (int x = 0; x < rw; ++x) {
      float acc[3] = {0.f, 0.f, 0.f};
      for (int ky = 0; ky < cy.count[y]; ++ky) {
        const float wy = cy.weights[static_cast<size_t>(y) * cy.stride + ky];
        const uint8_t* row = image.data + static_cast<size_t>(cy.start[y] + ky) * image.width * 3;
        for (int kx = 0; kx < cx.count[x]; ++kx) {
          const float w = wy * cx.weights[static_cast<size_t>(x) * cx.stride + kx];
          const uint8_t* px = row + static_cast<size_t>(cx.start[x] + kx) * 3;
          acc[0] += w * px[0];
          acc[1] += w * px[1];
          acc[2] += w * px[2];
        }
      }
      const size_t at = static_cast<size_t>(y) * target_w + x;
      out[at] = acc[2];  // B
      out[plane + at] = acc[1];
      out[2 * plane + at] = acc[0];  // R
    }
  }
  return static_cast<float>(r);
}

}  // namespace loupe
