// ID-mapped inner-product vector index over FAISS: exact flat, HNSW, and two compressed kinds built through FAISS's
// index_factory (HNSW over 8-bit scalar codes; IVF-PQ with an optional scalar-code refine stage).
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

enum class VectorIndexKind { Flat, HNSW, HNSW_SQ8, IVF_PQ };
// IVF-PQ: the codes kept beside the PQ codes to re-rank its candidates (none: PQ scores are final).
enum class RefineKind { None, SQ8, SQ4 };

struct VectorIndexOptions {
  int hnswM = 32;                        // HNSW, HNSW_SQ8: graph degree
  int nlist = 1024;                      // IVF_PQ: inverted lists (coarse centroids)
  int pqM = 32;                          // IVF_PQ: sub-quantizers of 8 bits each (bytes per vector); divides dim
  RefineKind refine = RefineKind::SQ8;   // IVF_PQ
  // HNSW_SQ8, IVF_PQ: vectors are held exactly (a flat index) until this many have arrived; then the quantizers are
  // trained on the first trainSize of them (in insertion order, i.e. sequence order) and everything moves over.
  int64_t trainSize = 0;
};

struct SearchParams {
  int efSearch = 64;      // HNSW kinds: beam width
  int nprobe = 16;        // IVF_PQ: inverted lists visited
  int refineFactor = 64;  // IVF_PQ with refine: k * refineFactor PQ candidates re-ranked by the refine codes
};

struct SearchResult {
  std::vector<float> scores;   // nq * k, -inf where no result
  std::vector<int64_t> ids;    // nq * k, -1 where no result
};

// FAISS's own description of the code it was compiled to ("OPTIMIZE AVX2" or "OPTIMIZE GENERIC").
std::string faissCompileOptions();

// The index_factory description of a kind with its options ("HNSW32,SQ8", "IVF1024,PQ32x8,Refine(SQ8)").
std::string factorySpec(VectorIndexKind kind, const VectorIndexOptions& options);

class VectorIndex {
 public:
  VectorIndex(int dim, VectorIndexKind kind, const VectorIndexOptions& options);
  VectorIndex(int dim, VectorIndexKind kind, int hnswM = 32);
  ~VectorIndex();
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;

  // Reads a snapshot written by save(); throws std::runtime_error when it is not ours. The kind is read from the file.
  static std::unique_ptr<VectorIndex> load(const std::string& path);
  // Same, but the snapshot must hold `kind` built with `options` (a compressed kind still below its trainSize is a
  // flat file; only the expected kind tells it apart). Throws std::runtime_error on a mismatch.
  static std::unique_ptr<VectorIndex> load(const std::string& path, VectorIndexKind kind, const VectorIndexOptions& options);

  // Adds vectors with ids; ids already present are skipped (ids are never reused). Returns how many were added.
  // A compressed kind trains itself inside the add that brings it to trainSize vectors.
  size_t add(const float* vectors, const int64_t* ids, size_t n);
  // Removes ids (absent ids are ignored). Returns how many were removed.
  size_t remove(const int64_t* ids, size_t n);
  // Top-k by inner product over all live vectors.
  SearchResult search(const float* queries, size_t nq, size_t k, const SearchParams& params) const;
  SearchResult search(const float* queries, size_t nq, size_t k, int efSearch) const;
  // Top-k restricted to the given ids (ids not present are ignored), scored on the stored vectors (decoded codes for
  // the compressed kinds).
  SearchResult searchSubset(const float* queries, size_t nq, const int64_t* ids, size_t nids, size_t k) const;
  // Atomic write (temp file + rename) of the index and its tombstones.
  void save(const std::string& path) const;

  int dim() const { return dim_; }
  VectorIndexKind kind() const { return kind_; }
  const VectorIndexOptions& options() const { return options_; }
  std::string factory() const { return factorySpec(kind_, options_); }
  // False while a compressed kind still holds its vectors exactly, waiting for trainSize of them.
  bool trained() const;
  // Live vectors. Lock-free (an atomic kept by the writers), so the event loop never waits on a worker's lock.
  int64_t size() const { return live_.load(std::memory_order_acquire); }
  bool contains(int64_t id) const;

 private:
  VectorIndex(int dim, VectorIndexKind kind, const VectorIndexOptions& options, std::unique_ptr<faiss::IndexIDMap2> index,
              bool staging);
  void compactLocked();  // rebuild without tombstoned vectors (kinds that cannot delete in place)
  void trainLocked();    // staging flat → trained compressed index
  bool usesTombstones() const { return kind_ != VectorIndexKind::Flat && !staging_; }
  void publishSizeLocked() { live_.store(index_->ntotal - static_cast<int64_t>(tombstones_.size()), std::memory_order_release); }

  int dim_;
  VectorIndexKind kind_;
  VectorIndexOptions options_;
  std::unique_ptr<faiss::IndexIDMap2> index_;
  // A compressed kind before training: index_ is an exact flat index holding every vector.
  bool staging_ = false;
  // HNSW and the compressed kinds cannot delete in place; deleted ids are hidden until the next compaction.
  std::unordered_set<int64_t> tombstones_;
  mutable std::shared_mutex mutex_;
  std::atomic<int64_t> live_{0};
};

}  // namespace loupe
