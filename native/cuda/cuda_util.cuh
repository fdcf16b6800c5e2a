// Error checking and a scoped stream + stream-ordered allocations shared by the .cu files.
#pragma once

#include <cuda_runtime.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace loupe {
namespace cuda {

inline void Check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(err));
}

// One non-blocking stream per call (calls come from several libuv threads); device buffers are stream-ordered
// allocations freed on the same stream, so nothing leaks when a step throws.
class Scope {
 public:
  Scope() { Check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "stream"); }
  ~Scope() {
    for (void* p : buffers_) cudaFreeAsync(p, stream_);
    cudaStreamSynchronize(stream_);
    cudaStreamDestroy(stream_);
  }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

  template <typename T>
  T* Alloc(size_t count) {
    void* p = nullptr;
    Check(cudaMallocAsync(&p, count * sizeof(T) + 1, stream_), "malloc");
    buffers_.push_back(p);
    return static_cast<T*>(p);
  }
  template <typename T>
  T* Upload(const T* host, size_t count) {
    T* d = Alloc<T>(count);
    if (count) Check(cudaMemcpyAsync(d, host, count * sizeof(T), cudaMemcpyHostToDevice, stream_), "upload");
    return d;
  }
  template <typename T>
  void Download(T* host, const T* device, size_t count) {
    if (count) Check(cudaMemcpyAsync(host, device, count * sizeof(T), cudaMemcpyDeviceToHost, stream_), "download");
  }
  void Sync() { Check(cudaStreamSynchronize(stream_), "sync"); }
  cudaStream_t stream() const { return stream_; }

 private:
  cudaStream_t stream_ = nullptr;
  std::vector<void*> buffers_;
};

}  // namespace cuda
}  // namespace loupe
