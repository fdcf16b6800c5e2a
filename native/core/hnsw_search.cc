#include "hnsw_search.h"

#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/utils/Heap.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <stdexcept>

namespace loupe {

namespace {
using faiss::HNSW;
using idx_t = faiss::Index::idx_t;
using storage_idx_t = HNSW::storage_idx_t;

void greedyUpdateNearest(const HNSW& hnsw, faiss::DistanceComputer& qdis, int level, storage_idx_t& nearest,
                         float& dNearest) {
  for (;;) {
    const storage_idx_t prev = nearest;
    size_t begin, end;
    hnsw.neighbor_range(nearest, level, &begin, &end);
    for (size_t i = begin; i < end; ++i) {
      const storage_idx_t v = hnsw.neighbors[i];
      if (v < 0) break;
      const float d = qdis(v);
      if (d < dNearest) {
        nearest = v;
        dNearest = d;
      }
    }
    if (nearest == prev) return;
  }
}

// HNSW walks towards smaller distances: inner products are negated (as FAISS's own, file-local, wrapper does).
struct NegatedDistance : faiss::DistanceComputer {
  std::unique_ptr<faiss::DistanceComputer> base;
  explicit NegatedDistance(faiss::DistanceComputer* b) : base(b) {}
  void set_query(const float* x) override { base->set_query(x); }
  float operator()(idx_t i) override { return -(*base)(i); }
  float symmetric_dis(idx_t i, idx_t j) override { return -base->symmetric_dis(i, j); }
};

std::unique_ptr<faiss::DistanceComputer> distanceComputer(const faiss::Index& storage) {
  std::unique_ptr<faiss::DistanceComputer> d(storage.get_distance_computer());
  if (storage.metric_type == faiss::METRIC_INNER_PRODUCT) return std::make_unique<NegatedDistance>(d.release());
  return d;
}

// One visited table per thread, reused across calls (FAISS allocates one per search call and thread).
faiss::VisitedTable& visitedTable(size_t n) {
  thread_local std::unique_ptr<faiss::VisitedTable> table;
  if (!table || table->visited.size() < n) table = std::make_unique<faiss::VisitedTable>(static_cast<int>(n));
  return *table;
}
}  // namespace

void hnswSearchOne(const faiss::IndexHNSW& index, const float* query, int k, int efSearch, float* D, int64_t* I,
                   const std::function<bool(int64_t)>& hidden) {
  std::fill(I, I + k, -1);
  std::fill(D, D + k, std::numeric_limits<float>::infinity());
  const HNSW& hnsw = index.hnsw;
  if (k <= 0 || hnsw.entry_point < 0 || index.ntotal == 0) return;
  if (index.ntotal > std::numeric_limits<int>::max()) throw std::runtime_error("HNSW index too large");
  std::unique_ptr<faiss::DistanceComputer> qdis = distanceComputer(*index.storage);
  qdis->set_query(query);

  storage_idx_t nearest = hnsw.entry_point;
  float dNearest = (*qdis)(nearest);
  for (int level = hnsw.max_level; level >= 1; --level) greedyUpdateNearest(hnsw, *qdis, level, nearest, dNearest);

  const int ef = std::max(efSearch, k);
  HNSW::MinimaxHeap candidates(ef);
  candidates.push(nearest, dNearest);
  faiss::VisitedTable& vt = visitedTable(static_cast<size_t>(index.ntotal));

  // Result heap: max-heap on distance, k slots.
  int nres = 0;
  auto offer = [&](storage_idx_t v, float d) {
    if (hidden && hidden(v)) return;
    if (nres < k) {
      faiss::maxheap_push(++nres, D, I, d, static_cast<int64_t>(v));
    } else if (d < D[0]) {
      faiss::maxheap_replace_top(nres, D, I, d, static_cast<int64_t>(v));
    }
  };
  offer(nearest, dNearest);
  vt.set(nearest);

  int nstep = 0;
  while (candidates.size() > 0) {
    float d0 = 0;
    const storage_idx_t v0 = candidates.pop_min(&d0);
    if (hnsw.check_relative_distance && candidates.count_below(d0) >= ef) break;
    size_t begin, end;
    hnsw.neighbor_range(v0, 0, &begin, &end);
    for (size_t j = begin; j < end; ++j) {
      const storage_idx_t v1 = hnsw.neighbors[j];
      if (v1 < 0) break;
      if (vt.get(v1)) continue;
      vt.set(v1);
      const float d = (*qdis)(v1);
      offer(v1, d);
      candidates.push(v1, d);
    }
    if (!hnsw.check_relative_distance && ++nstep > ef) break;
  }
  vt.advance();

  faiss::maxheap_reorder(nres, D, I);  // best (smallest distance) first
  const bool ip = index.metric_type == faiss::METRIC_INNER_PRODUCT;
  for (int i = 0; i < k; ++i) {
    if (i >= nres) {
      I[i] = -1;
      D[i] = ip ? -std::numeric_limits<float>::infinity() : std::numeric_limits<float>::infinity();
    } else if (ip) {
      D[i] = -D[i];
    }
  }
}

}  // namespace loupe
