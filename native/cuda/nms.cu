// Greedy NMS on the GPU, torchvision-style: candidates sorted by score on the host (the shared NmsOrder), a kernel
// writes for every candidate a bitmask of the later candidates it suppresses, 64 per word; the host then walks the
// candidates once, OR-ing the masks of those it keeps.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "cuda_util.cuh"
#include "loupe_cuda.h"
#include "nms.h"

namespace loupe {
namespace cuda {
namespace {

constexpr int kBlock = 64;

// Same float operations as the CPU's Suppresses(), with explicit round-to-nearest intrinsics so nvcc cannot fuse
// them into FMAs: the masks then agree with the CPU bit for bit.
__device__ __forceinline__ bool Suppresses(const float4 a, const float4 b, float threshold) {
  const float iw = __fsub_rn(fminf(a.z, b.z), fmaxf(a.x, b.x));
  const float ih = __fsub_rn(fminf(a.w, b.w), fmaxf(a.y, b.y));
  if (iw <= 0.f || ih <= 0.f) return false;
  const float inter = __fmul_rn(iw, ih);
  const float area_a = __fmul_rn(fmaxf(0.f, __fsub_rn(a.z, a.x)), fmaxf(0.f, __fsub_rn(a.w, a.y)));
  const float area_b = __fmul_rn(fmaxf(0.f, __fsub_rn(b.z, b.x)), fmaxf(0.f, __fsub_rn(b.w, b.y)));
  const float uni = __fsub_rn(__fadd_rn(area_a, area_b), inter);
  return uni > 0.f && __fdiv_rn(inter, uni) > threshold;
}

__global__ void SuppressionMasks(const float4* __restrict__ boxes, int n, float threshold,
                                 unsigned long long* __restrict__ masks, int col_blocks) {
  const int row_block = blockIdx.y, col_block = blockIdx.x;
  if (col_block < row_block) return;  // only later candidates can be suppressed
  const int row_size = min(n - row_block * kBlock, kBlock);
  const int col_size = min(n - col_block * kBlock, kBlock);
  __shared__ float4 cols[kBlock];
  if (threadIdx.x < col_size) cols[threadIdx.x] = boxes[col_block * kBlock + threadIdx.x];
  __syncthreads();
  if (threadIdx.x >= row_size) return;
  const int i = row_block * kBlock + threadIdx.x;
  const float4 box = boxes[i];
  unsigned long long bits = 0;
  const int first = row_block == col_block ? threadIdx.x + 1 : 0;
  for (int k = first; k < col_size; ++k) {
    if (Suppresses(box, cols[k], threshold)) bits |= 1ULL << k;
  }
  masks[static_cast<long long>(i) * col_blocks + col_block] = bits;
}

}  // namespace

std::vector<int32_t> Nms(const float* boxes, const float* scores, size_t n, float iou_threshold, size_t max_out,
                         float score_threshold) {
  const std::vector<int32_t> order = NmsOrder(scores, n, score_threshold);
  std::vector<int32_t> keep;
  const int m = static_cast<int>(order.size());
  if (m == 0 || max_out == 0) return keep;
  std::vector<float> sorted(4 * static_cast<size_t>(m));
  for (int k = 0; k < m; ++k) std::copy(boxes + 4 * static_cast<size_t>(order[k]), boxes + 4 * static_cast<size_t>(order[k]) + 4, &sorted[4 * k]);
  const int col_blocks = (m + kBlock - 1) / kBlock;
  const size_t mask_words = static_cast<size_t>(m) * col_blocks;
  Scope s;
  const float4* d_boxes = reinterpret_cast<const float4*>(s.Upload(sorted.data(), sorted.size()));
  auto* d_masks = s.Alloc<unsigned long long>(mask_words);
  Check(cudaMemsetAsync(d_masks, 0, mask_words * sizeof(unsigned long long), s.stream()), "memset");
  SuppressionMasks<<<dim3(col_blocks, col_blocks), kBlock, 0, s.stream()>>>(d_boxes, m, iou_threshold, d_masks, col_blocks);
  Check(cudaGetLastError(), "suppression masks");
  std::vector<unsigned long long> masks(mask_words);
  s.Download(masks.data(), d_masks, mask_words);
  s.Sync();
  std::vector<unsigned long long> removed(col_blocks, 0);
  for (int i = 0; i < m && keep.size() < max_out; ++i) {
    if (removed[i / kBlock] & (1ULL << (i % kBlock))) continue;
    keep.push_back(order[i]);
    const unsigned long long* row = &masks[static_cast<size_t>(i) * col_blocks];
    for (int b = i / kBlock; b < col_blocks; ++b) removed[b] |= row[b];
  }
  return keep;
}

}  // namespace cuda
}  // namespace loupe
