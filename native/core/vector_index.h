// ID-mapped inner-product vector index over FAISS (exact flat or HNSW).
// Core file: no N-API here, so ctest can exercise it alone.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include <faiss/IndexIDMap.h>

namespace loupe {

enum class VectorIndexKind { Flat, HNSW };

struct SearchResult {
  std::vector<float> scores;   // nq * k, -inf where no result
  std::vector<int64_t> ids;    // nq * k, -1 where no result
};

// FAISS's own description of the code it was compiled to ("OPTIMIZE AVX2" or "OPTIMIZE GENERIC").
std::string faissCompileOptions();

class VectorIndex {
 public:
  VectorIndex(int dim, VectorIndexKind kind, int hnswM = 32);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Reads a snapshot written by save(); throws std::runtime_error when it is not ours.
  static std::unique_ptr<VectorIndex> load(const std::string& path);

  // Adds vectors with ids; ids already present are skipped (ids are never reused). Returns how many were added.
  size_t add(const float* vectors, const int64_t* ids, size_t n);
  // Removes ids (absent ids are ignored). Returns how many were removed.
  size_t remove(const int64_t* ids, size_t n);
  // Top-k by inner product over all live vectors.
  SearchResult search(const float* queries, size_t nq, size_t k, int efSearch) const;
  // Exact top-k restricted to the given ids (ids not present are ignored).
  SearchResult searchSubset(const float* queries, size_t nq, const int64_t* ids, size_t nids, size_t k) const;
  // Atomic write (temp file + rename) of the index and its tombstones.
  void save(const std::string& path) const;

  int dim() const { return dim_; }
  VectorIndexKind kind() const { return kind_; }
  // Live vectors. Lock-free (an atomic kept by the writers), so the event loop never waits on a worker's lock.
  int64_t size() const { return live_.load(std::memory_order_acquire); }
  bool contains(int64_t id) const;

 private:
  VectorIndex(int dim, VectorIndexKind kind, std::unique_ptr<faiss::IndexIDMap2> index);
  void compactLocked();  // HNSW: rebuild without tombstoned vectors
  void publishSizeLocked() { live_.store(index_->ntotal - static_cast<int64_t>(tombstones_.size()), std::memory_order_release); }

  int dim_;
  VectorIndexKind kind_;
  int hnswM_;
  std::unique_ptr<faiss::IndexIDMap2> index_;
  // HNSW cannot delete in place; deleted ids are hidden until the next compaction.
  std::unordered_set<int64_t> tombstones_;
  mutable std::shared_mutex mutex_;
  std::atomic<int64_t> live_{0};
};

}  // namespace loupe
