#include "vector_index.h"

#include "hnsw_search.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_io.h>
#include <faiss/utils/utils.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <fstream>
#include <limits>
#include <mutex>
#include <stdexcept>

namespace loupe {

namespace {
using idx_t = faiss::Index::idx_t;
constexpr float kNoScore = -std::numeric_limits<float>::infinity();
constexpr uint32_t kTombMagic = 0x4c505442;  // "LPTB"

std::unique_ptr<faiss::Index> makeInner(int dim, VectorIndexKind kind, int m) {
  if (kind == VectorIndexKind::HNSW) {
    auto hnsw = std::make_unique<faiss::IndexHNSWFlat>(dim, m, faiss::METRIC_INNER_PRODUCT);
    hnsw->hnsw.efConstruction = 80;
    return hnsw;
  }
  return std::make_unique<faiss::IndexFlatIP>(dim);
}
}  // namespace

std::string faissCompileOptions() { return faiss::get_compile_options(); }

VectorIndex::VectorIndex(int dim, VectorIndexKind kind, int hnswM) : dim_(dim), kind_(kind), hnswM_(hnswM) {
  if (dim <= 0 || dim > 65536) throw std::invalid_argument("dimension must be in 1..65536");
  if (hnswM < 2 || hnswM > 256) throw std::invalid_argument("hnswM must be in 2..256");
  auto inner = makeInner(dim, kind, hnswM);
  index_ = std::make_unique<faiss::IndexIDMap2>(inner.release());
  index_->own_fields = true;
}

VectorIndex::VectorIndex(int dim, VectorIndexKind kind, std::unique_ptr<faiss::IndexIDMap2> index)
    : dim_(dim), kind_(kind), hnswM_(32), index_(std::move(index)) {}

VectorIndex::~VectorIndex() = default;

std::unique_ptr<VectorIndex> VectorIndex::load(const std::string& path) {
  std::unique_ptr<faiss::Index> raw(faiss::read_index(path.c_str()));
  auto* idmap = dynamic_cast<faiss::IndexIDMap2*>(raw.get());
  if (idmap == nullptr) throw std::runtime_error("snapshot " + path + " is not an ID-mapped index");
  if (idmap->metric_type != faiss::METRIC_INNER_PRODUCT)
    throw std::runtime_error("snapshot " + path + " does not use inner product");
  VectorIndexKind kind;
  int m = 32;
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSWFlat*>(idmap->index)) {
    kind = VectorIndexKind::HNSW;
    m = static_cast<int>(hnsw->hnsw.nb_neighbors(1));
  } else if (dynamic_cast<faiss::IndexFlat*>(idmap->index) != nullptr) {
    kind = VectorIndexKind::Flat;
  } else {
    throw std::runtime_error("snapshot " + path + " holds an unsupported index type");
  }
  raw.release();
  std::unique_ptr<VectorIndex> result(new VectorIndex(idmap->d, kind, std::unique_ptr<faiss::IndexIDMap2>(idmap)));
  result->hnswM_ = m;
  std::ifstream tomb(path + ".tomb", std::ios::binary);
  if (tomb) {
    uint32_t magic = 0;
    uint64_t count = 0;
    tomb.read(reinterpret_cast<char*>(&magic), sizeof magic);
    tomb.read(reinterpret_cast<char*>(&count), sizeof count);
    if (!tomb || magic != kTombMagic || count > static_cast<uint64_t>(idmap->ntotal))
      throw std::runtime_error("tombstone file " + path + ".tomb is corrupt");
    for (uint64_t i = 0; i < count; ++i) {
      int64_t id = 0;
      tomb.read(reinterpret_cast<char*>(&id), sizeof id);
      if (!tomb) throw std::runtime_error("tombstone file " + path + ".tomb is truncated");
      result->tombstones_.insert(id);
    }
  }
  result->publishSizeLocked();
  return result;
}

size_t VectorIndex::add(const float* vectors, const int64_t* ids, size_t n) {
  std::unique_lock lock(mutex_);
  std::vector<float> fresh;
  std::vector<idx_t> freshIds;
  fresh.reserve(n * dim_);
  freshIds.reserve(n);
  std::unordered_set<int64_t> seen;
  for (size_t i = 0; i < n; ++i) {
    if (ids[i] < 0) throw std::invalid_argument("ids must be non-negative");
    if (index_->rev_map.count(ids[i]) || !seen.insert(ids[i]).second) continue;
    fresh.insert(fresh.end(), vectors + i * dim_, vectors + (i + 1) * dim_);
    freshIds.push_back(ids[i]);
  }
  if (!freshIds.empty()) index_->add_with_ids(static_cast<idx_t>(freshIds.size()), fresh.data(), freshIds.data());
  publishSizeLocked();
  return freshIds.size();
}

size_t VectorIndex::remove(const int64_t* ids, size_t n) {
  std::unique_lock lock(mutex_);
  if (kind_ == VectorIndexKind::Flat) {
    faiss::IDSelectorBatch sel(static_cast<size_t>(n), ids);
    const size_t removed = index_->remove_ids(sel);
    publishSizeLocked();
    return removed;
  }
  size_t removed = 0;
  for (size_t i = 0; i < n; ++i) {
    if (index_->rev_map.count(ids[i]) && tombstones_.insert(ids[i]).second) ++removed;
  }
  // Past a third of dead vectors, searches waste too much work: rebuild.
  if (tombstones_.size() * 3 > static_cast<size_t>(index_->ntotal)) compactLocked();
  publishSizeLocked();
  return removed;
}

void VectorIndex::compactLocked() {
  auto inner = makeInner(dim_, kind_, hnswM_);
  auto next = std::make_unique<faiss::IndexIDMap2>(inner.release());
  next->own_fields = true;
  std::vector<float> live;
  std::vector<idx_t> liveIds;
  std::vector<float> row(dim_);
  for (idx_t i = 0; i < index_->ntotal; ++i) {
    idx_t id = index_->id_map[i];
    if (tombstones_.count(id)) continue;
    index_->index->reconstruct(i, row.data());
    live.insert(live.end(), row.begin(), row.end());
    liveIds.push_back(id);
  }
  if (!liveIds.empty()) next->add_with_ids(static_cast<idx_t>(liveIds.size()), live.data(), liveIds.data());
  index_ = std::move(next);
  tombstones_.clear();
}

SearchResult VectorIndex::search(const float* queries, size_t nq, size_t k, int efSearch) const {
  std::shared_lock lock(mutex_);  // readers only: HNSW's beam width is per call (hnsw_search.h)
  SearchResult out;
  out.scores.assign(nq * k, kNoScore);
  out.ids.assign(nq * k, -1);
  if (k == 0 || nq == 0 || index_->ntotal == 0) return out;
  if (kind_ == VectorIndexKind::HNSW) {
    const auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(index_->index);
    const int kk = static_cast<int>(std::min<size_t>(k, static_cast<size_t>(index_->ntotal)));
    std::function<bool(int64_t)> hidden;
    if (!tombstones_.empty()) hidden = [this](int64_t internal) { return tombstones_.count(index_->id_map[internal]) > 0; };
    std::vector<float> d(kk);
    std::vector<int64_t> l(kk);
    for (size_t q = 0; q < nq; ++q) {
      hnswSearchOne(*hnsw, queries + q * dim_, kk, efSearch, d.data(), l.data(), hidden);
      for (int j = 0; j < kk && l[j] >= 0; ++j) {
        out.scores[q * k + j] = d[j];
        out.ids[q * k + j] = index_->id_map[l[j]];
      }
    }
    return out;
  }
  const size_t kk = std::min<size_t>(k, static_cast<size_t>(index_->ntotal));
  std::vector<float> d(nq * kk);
  std::vector<idx_t> l(nq * kk);
  index_->search(static_cast<idx_t>(nq), queries, static_cast<idx_t>(kk), d.data(), l.data());
  for (size_t q = 0; q < nq; ++q) {
    for (size_t j = 0; j < kk && l[q * kk + j] >= 0; ++j) {
      out.scores[q * k + j] = d[q * kk + j];
      out.ids[q * k + j] = l[q * kk + j];
    }
  }
  return out;
}

SearchResult VectorIndex::searchSubset(const float* queries, size_t nq, const int64_t* ids, size_t nids,
                                       size_t k) const {
  std::shared_lock lock(mutex_);
  SearchResult out;
  out.scores.assign(nq * k, kNoScore);
  out.ids.assign(nq * k, -1);
  if (k == 0 || nq == 0) return out;
  std::vector<idx_t> internal;
  std::vector<int64_t> external;
  internal.reserve(nids);
  for (size_t i = 0; i < nids; ++i) {
    auto it = index_->rev_map.find(ids[i]);
    if (it == index_->rev_map.end() || tombstones_.count(ids[i])) continue;
    internal.push_back(it->second);
    external.push_back(ids[i]);
  }
  std::vector<float> rows(internal.size() * dim_);
  for (size_t i = 0; i < internal.size(); ++i) index_->index->reconstruct(internal[i], rows.data() + i * dim_);
  std::vector<std::pair<float, int64_t>> scored(internal.size());
  for (size_t q = 0; q < nq; ++q) {
    const float* qv = queries + q * dim_;
    for (size_t i = 0; i < internal.size(); ++i) {
      const float* r = rows.data() + i * dim_;
      float s = 0;
      for (int j = 0; j < dim_; ++j) s += qv[j] * r[j];
      scored[i] = {s, external[i]};
    }
    const size_t take = std::min(k, scored.size());
    std::partial_sort(scored.begin(), scored.begin() + take, scored.end(),
                      [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
    for (size_t j = 0; j < take; ++j) {
      out.scores[q * k + j] = scored[j].first;
      out.ids[q * k + j] = scored[j].second;
    }
  }
  return out;
}

void VectorIndex::save(const std::string& path) const {
  std::shared_lock lock(mutex_);
  const std::string tmp = path + ".tmp";
  faiss::write_index(index_.get(), tmp.c_str());
  const std::string tombTmp = path + ".tomb.tmp";
  {
    std::ofstream tomb(tombTmp, std::ios::binary | std::ios::trunc);
    uint64_t count = tombstones_.size();
    tomb.write(reinterpret_cast<const char*>(&kTombMagic), sizeof kTombMagic);
    tomb.write(reinterpret_cast<const char*>(&count), sizeof count);
    for (int64_t id : tombstones_) tomb.write(reinterpret_cast<const char*>(&id), sizeof id);
    tomb.flush();
    if (!tomb) throw std::runtime_error("could not write " + tombTmp);
  }
  if (std::rename(tombTmp.c_str(), (path + ".tomb").c_str()) != 0 || std::rename(tmp.c_str(), path.c_str()) != 0)
    throw std::runtime_error("could not move snapshot into place at " + path);
}

bool VectorIndex::contains(int64_t id) const {
  std::shared_lock lock(mutex_);
  return index_->rev_map.count(id) > 0 && tombstones_.count(id) == 0;
}

}  // namespace loupe
