// preprocessBatch on the GPU: the CPU core plans every box's resampling weights (PlanCrop, the same code the CPU path
// uses), then a horizontal pass over the rows each box needs and a vertical pass that clamps and normalizes.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cuda_util.cuh"
#include "loupe_cuda.h"

namespace loupe {
namespace cuda {
namespace {

// Per-box layout of the packed plans. Index arrays hold `size` entries per box at box * size.
struct BoxPlan {
  int row0;           // first source row the vertical pass reads
  int rows;           // how many
  long long tmp_ofs;  // offset of this box's rows * size * 3 floats in the intermediate buffer
  long long xw_ofs;   // offset of this box's x weights (size * x_stride)
  long long yw_ofs;
  int x_stride;
  int y_stride;
};

struct Norm {
  float scale[3];
  float shift[3];
};

__global__ void HorizontalPass(const uint8_t* __restrict__ image, int width, const BoxPlan* __restrict__ plans,
                               const int* __restrict__ xs, const int* __restrict__ xc, const float* __restrict__ w,
                               int size, float* __restrict__ tmp) {
  const int box = blockIdx.z;
  const BoxPlan p = plans[box];
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  if (x >= size) return;
  const int start = xs[box * size + x], count = xc[box * size + x];
  const float* wx = w + p.xw_ofs + static_cast<long long>(x) * p.x_stride;
  for (int r = blockIdx.y; r < p.rows; r += gridDim.y) {
    const uint8_t* src = image + (static_cast<long long>(p.row0 + r) * width + start) * 3;
    float a0 = 0.f, a1 = 0.f, a2 = 0.f;
    for (int k = 0; k < count; ++k) {
      const float wk = wx[k];
      a0 += wk * src[3 * k];
      a1 += wk * src[3 * k + 1];
      a2 += wk * src[3 * k + 2];
    }
    float* dst = tmp + p.tmp_ofs + (static_cast<long long>(r) * size + x) * 3;
    dst[0] = a0;
    dst[1] = a1;
    dst[2] = a2;
  }
}

__global__ void VerticalPass(const float* __restrict__ tmp, const BoxPlan* __restrict__ plans, const int* __restrict__ ys,
                             const int* __restrict__ yc, const float* __restrict__ w, int size, Norm norm,
                             float* __restrict__ out) {
  const int box = blockIdx.z;
  const int y = blockIdx.y;
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  if (x >= size) return;
  const BoxPlan p = plans[box];
  const int start = ys[box * size + y], count = yc[box * size + y];
  const float* wy = w + p.yw_ofs + static_cast<long long>(y) * p.y_stride;
  float a[3] = {0.f, 0.f, 0.f};
  for (int k = 0; k < count; ++k) {
    const float* s = tmp + p.tmp_ofs + (static_cast<long long>(start - p.row0 + k) * size + x) * 3;
    a[0] += wy[k] * s[0];
    a[1] += wy[k] * s[1];
    a[2] += wy[k] * s[2];
  }
  const long long plane = static_cast<long long>(size) * size;
  float* o = out + box * 3 * plane + static_cast<long long>(y) * size + x;
  for (int c = 0; c < 3; ++c) o[c * plane] = fminf(255.f, fmaxf(0.f, a[c])) * norm.scale[c] + norm.shift[c];
}

}  // namespace

int DeviceCount() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // clear the sticky "no driver/device" error
    return 0;
  }
  return n;
}

void PreprocessBatch(const RgbImage& image, const float* boxes, size_t n, const PreprocessParams& params, float* out) {
  if (n == 0) return;
  const int size = params.size;
  std::vector<BoxPlan> plans(n);
  std::vector<int> xs, xc, ys, yc;
  std::vector<float> weights;
  long long tmp_total = 0;
  for (size_t i = 0; i < n; ++i) {
    const CropPlan plan = PlanCrop(image, boxes + 4 * i, params);  // throws on a bad box, before any GPU work
    BoxPlan& p = plans[i];
    p.row0 = image.height;
    int row1 = 0;
    for (int k = 0; k < size; ++k) {
      p.row0 = std::min(p.row0, plan.y.start[k]);
      row1 = std::max(row1, plan.y.start[k] + plan.y.count[k]);
    }
    p.rows = row1 - p.row0;
    p.tmp_ofs = tmp_total;
    tmp_total += static_cast<long long>(p.rows) * size * 3;
    p.x_stride = plan.x.stride;
    p.y_stride = plan.y.stride;
    p.xw_ofs = static_cast<long long>(weights.size());
    weights.insert(weights.end(), plan.x.weights.begin(), plan.x.weights.end());
    p.yw_ofs = static_cast<long long>(weights.size());
    weights.insert(weights.end(), plan.y.weights.begin(), plan.y.weights.end());
    xs.insert(xs.end(), plan.x.start.begin(), plan.x.start.end());
    xc.insert(xc.end(), plan.x.count.begin(), plan.x.count.end());
    ys.insert(ys.end(), plan.y.start.begin(), plan.y.start.end());
    yc.insert(yc.end(), plan.y.count.begin(), plan.y.count.end());
  }
  Norm norm;
  for (int c = 0; c < 3; ++c) {
    norm.scale[c] = params.rescale / params.std[c];
    norm.shift[c] = -params.mean[c] / params.std[c];
  }
  Scope s;
  const size_t image_bytes = static_cast<size_t>(image.width) * image.height * 3;
  const uint8_t* d_image = s.Upload(image.data, image_bytes);
  const BoxPlan* d_plans = s.Upload(plans.data(), plans.size());
  const int* d_xs = s.Upload(xs.data(), xs.size());
  const int* d_xc = s.Upload(xc.data(), xc.size());
  const int* d_ys = s.Upload(ys.data(), ys.size());
  const int* d_yc = s.Upload(yc.data(), yc.size());
  const float* d_w = s.Upload(weights.data(), weights.size());
  float* d_tmp = s.Alloc<float>(static_cast<size_t>(tmp_total));
  const size_t out_count = n * 3 * static_cast<size_t>(size) * size;
  float* d_out = s.Alloc<float>(out_count);
  const int threads = 128;
  const unsigned gx = static_cast<unsigned>((size + threads - 1) / threads);
  int max_rows = 0;
  for (const BoxPlan& p : plans) max_rows = std::max(max_rows, p.rows);
  for (size_t b0 = 0; b0 < n; b0 += 65535) {  // gridDim.z is limited to 65,535
    const unsigned nb = static_cast<unsigned>(std::min<size_t>(65535, n - b0));
    HorizontalPass<<<dim3(gx, static_cast<unsigned>(std::min(max_rows, 65535)), nb), threads, 0, s.stream()>>>(
        d_image, image.width, d_plans + b0, d_xs + b0 * size, d_xc + b0 * size, d_w, size, d_tmp);
    Check(cudaGetLastError(), "horizontal pass");
    VerticalPass<<<dim3(gx, static_cast<unsigned>(size), nb), threads, 0, s.stream()>>>(
        d_tmp, d_plans + b0, d_ys + b0 * size, d_yc + b0 * size, d_w, size, norm, d_out + b0 * 3 * size * size);
    Check(cudaGetLastError(), "vertical pass");
  }
  s.Download(out, d_out, out_count);
  s.Sync();
}

}  // namespace cuda
}  // namespace loupe
