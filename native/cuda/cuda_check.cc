// GPU-vs-CPU correctness checks and timings for the CUDA kernels (run by ctest and bench/gpu.sh).
// Exit 0: all checks passed; 1: a mismatch; 77: no CUDA device (ctest reports it as skipped).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "loupe_cuda.h"
#include "nms.h"
#include "preprocess.h"

namespace {

int failures = 0;

void Expect(bool ok, const char* what) {
  std::printf("%s %s\n", ok ? "ok  " : "FAIL", what);
  if (!ok) ++failures;
}

double MedianMs(int runs, const std::function<void()>& f) {
  std::vector<double> t;
  f();  // warm-up (first CUDA call creates the context and the memory pool)
  for (int i = 0; i < runs; ++i) {
    const auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

std::vector<float> RandomBoxes(std::mt19937& rng, size_t n, float w, float h, float max_side) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> b(4 * n);
  for (size_t i = 0; i < n; ++i) {
    const float x = u(rng) * w, y = u(rng) * h;
    b[4 * i] = x - 0.1f * w;  // some boxes reach outside the image (clipped)
    b[4 * i + 1] = y - 0.1f * h;
    b[4 * i + 2] = x + 1.f + u(rng) * max_side;
    b[4 * i + 3] = y + 1.f + u(rng) * max_side;
  }
  return b;
}

void CheckPreprocess(std::mt19937& rng) {
  const int W = 1024, H = 768;
  std::vector<uint8_t> pixels(static_cast<size_t>(W) * H * 3);
  for (auto& p : pixels) p = static_cast<uint8_t>(rng() & 255);
  const loupe::RgbImage image{pixels.data(), W, H};
  for (auto mode : {loupe::ResizeMode::Squash, loupe::ResizeMode::ShortestEdgeCenterCrop}) {
    for (auto resample : {loupe::Resample::Bilinear, loupe::Resample::Bicubic}) {
      loupe::PreprocessParams p;
      p.size = 224;
      p.mode = mode;
      p.resample = resample;
      p.mean[0] = 0.481f, p.mean[1] = 0.458f, p.mean[2] = 0.408f;
      p.std[0] = 0.269f, p.std[1] = 0.261f, p.std[2] = 0.276f;
      std::vector<float> boxes = RandomBoxes(rng, 16, W, H, 700);
      boxes[0] = 0, boxes[1] = 0, boxes[2] = W, boxes[3] = H;  // the whole image
      boxes[4] = 10.25f, boxes[5] = 20.5f, boxes[6] = 10.75f, boxes[7] = 21.f;  // sub-pixel: upsampled 400x
      const size_t n = boxes.size() / 4, total = n * 3 * 224 * 224;
      std::vector<float> cpu(total), gpu(total);
      loupe::PreprocessBatch(image, boxes.data(), n, p, cpu.data());
      loupe::cuda::PreprocessBatch(image, boxes.data(), n, p, gpu.data());
      double max_diff = 0;
      for (size_t i = 0; i < total; ++i) max_diff = std::max(max_diff, static_cast<double>(std::fabs(cpu[i] - gpu[i])));
      char what[160];
      std::snprintf(what, sizeof what, "preprocess %s/%s: max |gpu - cpu| = %.2e over %zu values (< 1e-3)",
                    mode == loupe::ResizeMode::Squash ? "squash" : "clip-crop",
                    resample == loupe::Resample::Bicubic ? "bicubic" : "bilinear", max_diff, total);
      Expect(max_diff < 1e-3, what);
    }
  }
  loupe::PreprocessParams p;
  p.size = 224;
  const float bad[4] = {5, 5, 5, 50};  // zero width
  float sink[3 * 224 * 224];
  bool threw = false;
  try {
    loupe::cuda::PreprocessBatch(image, bad, 1, p, sink);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  Expect(threw, "preprocess: a zero-area box throws std::invalid_argument before any GPU work");

  for (size_t n : {1, 10, 64}) {
    std::vector<float> boxes = RandomBoxes(rng, n, W * 0.6f, H * 0.6f, 400);
    std::vector<float> out(n * 3 * 224 * 224);
    p.resample = loupe::Resample::Bicubic;
    p.mode = loupe::ResizeMode::ShortestEdgeCenterCrop;
    const double cpu = MedianMs(9, [&] { loupe::PreprocessBatch(image, boxes.data(), n, p, out.data()); });
    const double gpu = MedianMs(9, [&] { loupe::cuda::PreprocessBatch(image, boxes.data(), n, p, out.data()); });
    std::printf("time preprocess %3zu crops 1024x768 -> 224 bicubic: cpu %.3f ms, gpu %.3f ms (incl. copies), cpu/gpu %.1fx\n",
                n, cpu, gpu, cpu / gpu);
  }
}

void CheckNms(std::mt19937& rng) {
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (size_t n : {0, 1, 63, 64, 65, 1000, 8400, 20000}) {
    std::vector<float> boxes = RandomBoxes(rng, n, 640, 640, 120);
    std::vector<float> scores(n);
    for (auto& s : scores) s = u(rng);
    if (n > 10) scores[3] = scores[7];  // a tie: lower index first on both paths
    for (float iou : {0.3f, 0.45f, 0.7f}) {
      for (size_t max_out : {static_cast<size_t>(1e9), static_cast<size_t>(10)}) {
        const auto cpu = loupe::Nms(boxes.data(), scores.data(), n, iou, max_out, 0.05f);
        const auto gpu = loupe::cuda::Nms(boxes.data(), scores.data(), n, iou, max_out, 0.05f);
        char what[160];
        std::snprintf(what, sizeof what, "nms n=%zu iou=%.2f max=%zu: gpu == cpu (%zu kept)", n, iou,
                      max_out > 100000 ? 0 : max_out, cpu.size());
        Expect(cpu == gpu, what);
      }
    }
  }
  for (size_t n : {8400, 30000}) {
    std::vector<float> boxes = RandomBoxes(rng, n, 640, 640, 120);
    std::vector<float> scores(n);
    for (auto& s : scores) s = u(rng);
    std::vector<int32_t> keep;
    const double cpu = MedianMs(7, [&] { keep = loupe::Nms(boxes.data(), scores.data(), n, 0.45f, 1000000, 0.f); });
    const double gpu = MedianMs(7, [&] { keep = loupe::cuda::Nms(boxes.data(), scores.data(), n, 0.45f, 1000000, 0.f); });
    std::printf("time nms %5zu candidates iou 0.45 (%zu kept): cpu %.3f ms, gpu %.3f ms (incl. copies), cpu/gpu %.1fx\n",
                n, keep.size(), cpu, gpu, cpu / gpu);
  }
}

// With LOUPE_DUMP_DIR set, writes a random image, boxes and the CPU path's squash output (mean 0, std 1, rescale 1)
// for bench/pil_check.py, which compares them with PIL's own resize(box=...) in float mode.
void DumpForPil(const char* dir) {
  std::mt19937 rng(99);
  const int W = 257, H = 181, S = 48;
  std::vector<uint8_t> px(static_cast<size_t>(W) * H * 3);
  for (auto& p : px) p = static_cast<uint8_t>(rng() & 255);
  const std::vector<float> boxes = {0, 0, 257, 181, 10.5f, 20.25f, 200.75f, 150.5f, 30, 40, 50, 52, 100.2f, 3.7f, 101.4f, 5.1f};
  const size_t n = boxes.size() / 4;
  auto write = [dir](const char* name, const void* data, size_t bytes) {
    const std::string path = std::string(dir) + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    std::fwrite(data, 1, bytes, f);
    std::fclose(f);
  };
  write("image.u8", px.data(), px.size());
  write("boxes.f32", boxes.data(), boxes.size() * sizeof(float));
  for (auto resample : {loupe::Resample::Bilinear, loupe::Resample::Bicubic}) {
    loupe::PreprocessParams p;
    p.size = S;
    p.mode = loupe::ResizeMode::Squash;
    p.rescale = 1.f;
    p.resample = resample;
    std::vector<float> out(n * 3 * S * S);
    loupe::PreprocessBatch({px.data(), W, H}, boxes.data(), n, p, out.data());
    write(resample == loupe::Resample::Bicubic ? "bicubic.f32" : "bilinear.f32", out.data(), out.size() * sizeof(float));
  }
  std::printf("dumped PIL comparison inputs to %s (image %dx%d, %zu boxes, size %d)\n", dir, W, H, n, S);
}

}  // namespace

int main() {
  if (const char* dir = std::getenv("LOUPE_DUMP_DIR")) DumpForPil(dir);
  const int devices = loupe::cuda::DeviceCount();
  std::printf("CUDA devices: %d\n", devices);
  if (devices == 0) {
    std::printf("skipped: no CUDA device\n");
    return 77;
  }
  std::mt19937 rng(1234);
  try {
    CheckPreprocess(rng);
    CheckNms(rng);
  } catch (const std::exception& e) {
    std::printf("FAIL exception: %s\n", e.what());
    return 1;
  }
  std::printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
