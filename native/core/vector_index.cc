#include "vector_index.h"

#include "hnsw_search.h"

#include <faiss/IndexFlat.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/IndexIVFPQ.h>
#include <faiss/IndexRefine.h>
#include <faiss/IndexScalarQuantizer.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
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

bool compressed(VectorIndexKind kind) { return kind == VectorIndexKind::HNSW_SQ8 || kind == VectorIndexKind::IVF_PQ; }

const char* kindName(VectorIndexKind kind) {
  switch (kind) {
    case VectorIndexKind::Flat: return "flat";
    case VectorIndexKind::HNSW: return "hnsw";
    case VectorIndexKind::HNSW_SQ8: return "hnsw_sq8";
    case VectorIndexKind::IVF_PQ: return "ivf_pq";
  }
  return "?";
}

void checkOptions(int dim, VectorIndexKind kind, const VectorIndexOptions& o) {
  if (dim <= 0 || dim > 65536) throw std::invalid_argument("dimension must be in 1..65536");
  if (o.hnswM < 2 || o.hnswM > 256) throw std::invalid_argument("hnswM must be in 2..256");
  if (kind == VectorIndexKind::IVF_PQ) {
    if (o.nlist < 1 || o.nlist > (1 << 20)) throw std::invalid_argument("nlist must be in 1..1048576");
    if (o.pqM < 1 || dim % o.pqM != 0) throw std::invalid_argument("pqM must divide the dimension");
    // k-means needs at least as many points as centroids: nlist coarse ones, 256 per PQ sub-quantizer.
    if (o.trainSize < std::max<int64_t>(o.nlist, 256)) throw std::invalid_argument("trainSize must be at least max(nlist, 256)");
  }
  if (kind == VectorIndexKind::HNSW_SQ8 && o.trainSize < 1) throw std::invalid_argument("trainSize must be at least 1");
}

faiss::IndexIVF* ivfOf(faiss::Index* inner) {
  if (auto* refine = dynamic_cast<faiss::IndexRefine*>(inner)) return dynamic_cast<faiss::IndexIVF*>(refine->base_index);
  return dynamic_cast<faiss::IndexIVF*>(inner);
}

std::unique_ptr<faiss::Index> makeInner(int dim, VectorIndexKind kind, const VectorIndexOptions& o) {
  if (kind == VectorIndexKind::Flat) return std::make_unique<faiss::IndexFlatIP>(dim);
  std::unique_ptr<faiss::Index> index(faiss::index_factory(dim, factorySpec(kind, o).c_str(), faiss::METRIC_INNER_PRODUCT));
  if (auto* hnsw = dynamic_cast<faiss::IndexHNSW*>(index.get())) hnsw->hnsw.efConstruction = 80;
  // The direct map (8 bytes a vector) lets reconstruct() read IVF-PQ codes back (compaction, subset search).
  if (auto* ivf = ivfOf(index.get())) ivf->set_direct_map_type(faiss::DirectMap::Array);
  // The factory turns on polysemous training (a Hamming-distance reordering of the PQ centroids that only
  // polysemous search uses, and minutes of simulated annealing): Loupe never searches that way.
  if (auto* ivfpq = dynamic_cast<faiss::IndexIVFPQ*>(ivfOf(index.get()))) ivfpq->do_polysemous_training = false;
  return index;
}

std::unique_ptr<faiss::IndexIDMap2> wrap(std::unique_ptr<faiss::Index> inner) {
  auto map = std::make_unique<faiss::IndexIDMap2>(inner.release());
  map->own_fields = true;
  return map;
}

// What a snapshot's inner index is, with the options that can be read back from it.
VectorIndexKind describe(const faiss::Index* inner, VectorIndexOptions& o, const std::string& path) {
  if (auto* hnsw = dynamic_cast<const faiss::IndexHNSW*>(inner)) {
    o.hnswM = static_cast<int>(hnsw->hnsw.nb_neighbors(1));
    if (dynamic_cast<const faiss::IndexHNSWFlat*>(inner)) return VectorIndexKind::HNSW;
    auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(hnsw->storage);
    if (dynamic_cast<const faiss::IndexHNSWSQ*>(inner) && sq && sq->sq.qtype == faiss::ScalarQuantizer::QT_8bit)
      return VectorIndexKind::HNSW_SQ8;
  }
  const faiss::Index* base = inner;
  o.refine = RefineKind::None;
  if (auto* refine = dynamic_cast<const faiss::IndexRefine*>(inner)) {
    auto* sq = dynamic_cast<const faiss::IndexScalarQuantizer*>(refine->refine_index);
    if (!sq || (sq->sq.qtype != faiss::ScalarQuantizer::QT_8bit && sq->sq.qtype != faiss::ScalarQuantizer::QT_4bit))
      throw std::runtime_error("snapshot " + path + " holds an unsupported refine index");
    o.refine = sq->sq.qtype == faiss::ScalarQuantizer::QT_8bit ? RefineKind::SQ8 : RefineKind::SQ4;
    base = refine->base_index;
  }
  if (auto* ivfpq = dynamic_cast<const faiss::IndexIVFPQ*>(base)) {
    if (ivfpq->pq.nbits != 8) throw std::runtime_error("snapshot " + path + " holds PQ codes of other than 8 bits");
    o.nlist = static_cast<int>(ivfpq->nlist);
    o.pqM = static_cast<int>(ivfpq->pq.M);
    return VectorIndexKind::IVF_PQ;
  }
  if (base == inner && dynamic_cast<const faiss::IndexFlat*>(inner) != nullptr) return VectorIndexKind::Flat;
  throw std::runtime_error("snapshot " + path + " holds an unsupported index type");
}

// Hides tombstoned vectors from an IVF scan (FAISS ids inside the IDMap are positions; the map gives the user id).
struct LiveSelector : faiss::IDSelector {
  const faiss::IndexIDMap2& map;
  const std::unordered_set<int64_t>& tombstones;
  LiveSelector(const faiss::IndexIDMap2& m, const std::unordered_set<int64_t>& t) : map(m), tombstones(t) {}
  bool is_member(idx_t internal) const override { return tombstones.count(map.id_map[internal]) == 0; }
};
}  // namespace

std::string faissCompileOptions() { return faiss::get_compile_options(); }

std::string factorySpec(VectorIndexKind kind, const VectorIndexOptions& o) {
  switch (kind) {
    case VectorIndexKind::Flat: return "Flat";
    case VectorIndexKind::HNSW: return "HNSW" + std::to_string(o.hnswM);
    case VectorIndexKind::HNSW_SQ8: return "HNSW" + std::to_string(o.hnswM) + ",SQ8";
    case VectorIndexKind::IVF_PQ: {
      std::string spec = "IVF" + std::to_string(o.nlist) + ",PQ" + std::to_string(o.pqM) + "x8";
      if (o.refine == RefineKind::SQ8) spec += ",Refine(SQ8)";
      if (o.refine == RefineKind::SQ4) spec += ",Refine(SQ4)";
      return spec;
    }
  }
  return "";
}

VectorIndex::VectorIndex(int dim, VectorIndexKind kind, const VectorIndexOptions& options)
    : dim_(dim), kind_(kind), options_(options) {
  checkOptions(dim, kind, options);
  staging_ = compressed(kind);
  index_ = wrap(staging_ ? std::make_unique<faiss::IndexFlatIP>(dim) : makeInner(dim, kind, options));
}

VectorIndex::VectorIndex(int dim, VectorIndexKind kind, int hnswM)
    : VectorIndex(dim, kind, [hnswM] {
        VectorIndexOptions o;
        o.hnswM = hnswM;
        return o;
      }()) {}

VectorIndex::VectorIndex(int dim, VectorIndexKind kind, const VectorIndexOptions& options,
                         std::unique_ptr<faiss::IndexIDMap2> index, bool staging)
    : dim_(dim), kind_(kind), options_(options), index_(std::move(index)), staging_(staging) {}

VectorIndex::~VectorIndex() = default;

namespace {
struct Loaded {
  std::unique_ptr<faiss::IndexIDMap2> index;
  VectorIndexKind kind;
  VectorIndexOptions options;
};

Loaded readSnapshot(const std::string& path) {
  std::unique_ptr<faiss::Index> raw(faiss::read_index(path.c_str()));
  auto* idmap = dynamic_cast<faiss::IndexIDMap2*>(raw.get());
  if (idmap == nullptr) throw std::runtime_error("snapshot " + path + " is not an ID-mapped index");
  if (idmap->metric_type != faiss::METRIC_INNER_PRODUCT)
    throw std::runtime_error("snapshot " + path + " does not use inner product");
  Loaded out;
  out.kind = describe(idmap->index, out.options, path);
  raw.release();
  out.index.reset(idmap);
  if (auto* ivf = ivfOf(out.index->index)) {
    if (ivf->direct_map.type == faiss::DirectMap::NoMap) ivf->make_direct_map(true);
  }
  return out;
}

void readTombstones(const std::string& path, int64_t ntotal, std::unordered_set<int64_t>& into) {
  std::ifstream tomb(path + ".tomb", std::ios::binary);
  if (!tomb) return;
  uint32_t magic = 0;
  uint64_t count = 0;
  tomb.read(reinterpret_cast<char*>(&magic), sizeof magic);
  tomb.read(reinterpret_cast<char*>(&count), sizeof count);
  if (!tomb || magic != kTombMagic || count > static_cast<uint64_t>(ntotal))
    throw std::runtime_error("tombstone file " + path + ".tomb is corrupt");
  for (uint64_t i = 0; i < count; ++i) {
    int64_t id = 0;
    tomb.read(reinterpret_cast<char*>(&id), sizeof id);
    if (!tomb) throw std::runtime_error("tombstone file " + path + ".tomb is truncated");
    into.insert(id);
  }
}
}  // namespace

std::unique_ptr<VectorIndex> VectorIndex::load(const std::string& path) {
  Loaded l = readSnapshot(path);
  const int dim = l.index->d;
  std::unique_ptr<VectorIndex> result(new VectorIndex(dim, l.kind, l.options, std::move(l.index), false));
  readTombstones(path, result->index_->ntotal, result->tombstones_);
  result->publishSizeLocked();
  return result;
}

std::unique_ptr<VectorIndex> VectorIndex::load(const std::string& path, VectorIndexKind kind, const VectorIndexOptions& options) {
  Loaded l = readSnapshot(path);
  const int dim = l.index->d;
  checkOptions(dim, kind, options);
  const bool staging = compressed(kind) && l.kind == VectorIndexKind::Flat;
  if (!staging && factorySpec(l.kind, l.options) != factorySpec(kind, options))
    throw std::runtime_error("snapshot " + path + " holds " + kindName(l.kind) + " " + factorySpec(l.kind, l.options) +
                             ", expected " + kindName(kind) + " " + factorySpec(kind, options));
  std::unique_ptr<VectorIndex> result(new VectorIndex(dim, kind, options, std::move(l.index), staging));
  readTombstones(path, result->index_->ntotal, result->tombstones_);
  if (staging && !result->tombstones_.empty()) throw std::runtime_error("tombstone file " + path + ".tomb does not belong to a flat index");
  result->publishSizeLocked();
  return result;
}

bool VectorIndex::trained() const {
  std::shared_lock lock(mutex_);
  return !staging_;
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
  if (staging_ && index_->ntotal >= options_.trainSize) trainLocked();
  return freshIds.size();
}

void VectorIndex::trainLocked() {
  // The staging index is exact and compact (flat deletes in place): its rows are the live vectors in insertion order.
  const auto* flat = dynamic_cast<const faiss::IndexFlat*>(index_->index);
  if (flat == nullptr) throw std::logic_error("staging index is not flat");
  const float* rows = flat->get_xb();
  const idx_t n = index_->ntotal;
  auto inner = makeInner(dim_, kind_, options_);
  inner->train(std::min<idx_t>(n, options_.trainSize), rows);
  auto next = wrap(std::move(inner));
  next->add_with_ids(n, rows, index_->id_map.data());
  index_ = std::move(next);  // only now: a FAISS exception above leaves the staging index as it was
  staging_ = false;
  publishSizeLocked();
}

size_t VectorIndex::remove(const int64_t* ids, size_t n) {
  std::unique_lock lock(mutex_);
  if (!usesTombstones()) {
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
  // Read the live vectors back (decoded codes for the compressed kinds), empty the index (reset keeps what it was
  // trained on) and add them again.
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
  index_->reset();
  index_->rev_map.clear();  // IndexIDMap2 keeps its reverse map through reset()
  tombstones_.clear();
  if (!liveIds.empty()) index_->add_with_ids(static_cast<idx_t>(liveIds.size()), live.data(), liveIds.data());
}

SearchResult VectorIndex::search(const float* queries, size_t nq, size_t k, int efSearch) const {
  SearchParams params;
  params.efSearch = efSearch;
  return search(queries, nq, k, params);
}

SearchResult VectorIndex::search(const float* queries, size_t nq, size_t k, const SearchParams& params) const {
  std::shared_lock lock(mutex_);  // readers only: every search parameter is per call
  SearchResult out;
  out.scores.assign(nq * k, kNoScore);
  out.ids.assign(nq * k, -1);
  if (k == 0 || nq == 0 || index_->ntotal == 0) return out;
  const idx_t ntotal = index_->ntotal;
  if (auto* hnsw = staging_ ? nullptr : dynamic_cast<const faiss::IndexHNSW*>(index_->index)) {
    const int kk = static_cast<int>(std::min<size_t>(k, static_cast<size_t>(ntotal)));
    std::function<bool(int64_t)> hidden;
    if (!tombstones_.empty()) hidden = [this](int64_t internal) { return tombstones_.count(index_->id_map[internal]) > 0; };
    std::vector<float> d(kk);
    std::vector<int64_t> l(kk);
    for (size_t q = 0; q < nq; ++q) {
      hnswSearchOne(*hnsw, queries + q * dim_, kk, params.efSearch, d.data(), l.data(), hidden);
      for (int j = 0; j < kk && l[j] >= 0; ++j) {
        out.scores[q * k + j] = d[j];
        out.ids[q * k + j] = index_->id_map[l[j]];
      }
    }
    return out;
  }
  if (auto* ivf = staging_ ? nullptr : ivfOf(index_->index)) {
    // IVF-PQ: nprobe and the tombstone filter go in per-call parameters (no write to the index); with a refine
    // stage, k * refineFactor PQ candidates are re-scored on the refine codes, as IndexRefine does, but with those
    // parameters (IndexRefine::search in FAISS 1.7.3 takes none).
    const auto* refine = dynamic_cast<const faiss::IndexRefine*>(index_->index);
    LiveSelector live(*index_, tombstones_);
    faiss::SearchParametersIVF p;
    p.nprobe = static_cast<size_t>(std::max(1, params.nprobe));
    p.sel = tombstones_.empty() ? nullptr : &live;
    const size_t factor = refine ? static_cast<size_t>(std::max(1, params.refineFactor)) : 1;
    const idx_t kb = static_cast<idx_t>(std::min<size_t>(k * factor, static_cast<size_t>(ntotal)));
    std::vector<float> d(nq * kb);
    std::vector<idx_t> l(nq * kb);
    ivf->search(static_cast<idx_t>(nq), queries, kb, d.data(), l.data(), &p);
    std::unique_ptr<faiss::DistanceComputer> dc(refine ? refine->refine_index->get_distance_computer() : nullptr);
    std::vector<std::pair<float, idx_t>> cand;
    for (size_t q = 0; q < nq; ++q) {
      cand.clear();
      if (dc) dc->set_query(queries + q * dim_);
      for (idx_t j = 0; j < kb; ++j) {
        const idx_t internal = l[q * kb + j];
        if (internal < 0) continue;
        cand.emplace_back(dc ? (*dc)(internal) : d[q * kb + j], internal);
      }
      const size_t take = std::min(k, cand.size());
      std::partial_sort(cand.begin(), cand.begin() + take, cand.end(),
                        [](const auto& a, const auto& b) { return a.first > b.first || (a.first == b.first && a.second < b.second); });
      for (size_t j = 0; j < take; ++j) {
        out.scores[q * k + j] = cand[j].first;
        out.ids[q * k + j] = index_->id_map[cand[j].second];
      }
    }
    return out;
  }
  const size_t kk = std::min<size_t>(k, static_cast<size_t>(ntotal));
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
