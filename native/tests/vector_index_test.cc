#include "vector_index.h"

#include <faiss/IndexHNSW.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <thread>

#include "hnsw_search.h"

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"

namespace {
std::vector<float> Basis(int dim, int n) {
  std::vector<float> v(static_cast<size_t>(dim) * n, 0.f);
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i) * dim + (i % dim)] = 1.f + 0.01f * static_cast<float>(i / dim);
  return v;
}
std::vector<float> RandomUnit(int dim, int n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  std::vector<float> v(static_cast<size_t>(dim) * n);
  for (int i = 0; i < n; ++i) {
    float norm = 0;
    for (int j = 0; j < dim; ++j) norm += (v[i * dim + j] = g(rng)) * v[i * dim + j];
    for (int j = 0; j < dim; ++j) v[i * dim + j] /= std::sqrt(norm);
  }
  return v;
}

// Loupe's per-call beam search returns exactly what FAISS's own search returns with hnsw.efSearch set to the same ef.
void HnswSearchMatchesFaiss() {
  const int dim = 32, n = 3000, nq = 40, k = 10;
  auto data = RandomUnit(dim, n, 1);
  auto queries = RandomUnit(dim, nq, 2);
  faiss::IndexHNSWFlat ref(dim, 16, faiss::METRIC_INNER_PRODUCT);
  ref.add(n, data.data());
  for (int ef : {10, 16, 64, 200}) {
    ref.hnsw.efSearch = ef;
    std::vector<float> d(nq * k), mine(k);
    std::vector<faiss::Index::idx_t> l(nq * k);
    std::vector<int64_t> mineIds(k);
    ref.search(nq, queries.data(), k, d.data(), l.data());
    for (int q = 0; q < nq; ++q) {
      loupe::hnswSearchOne(ref, queries.data() + q * dim, k, ef, mine.data(), mineIds.data(), nullptr);
      for (int j = 0; j < k; ++j) {
        CHECK(mineIds[j] == l[q * k + j]);
        CHECK_NEAR(mine[j], d[q * k + j], 1e-6);
      }
    }
  }
}

// Concurrent searches with different efSearch each get their own beam width (no shared field to race on).
void ConcurrentEfSearch() {
  const int dim = 32, n = 3000, nq = 30, k = 10;
  loupe::VectorIndex index(dim, loupe::VectorIndexKind::HNSW, 16);
  auto data = RandomUnit(dim, n, 3);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 1000 + i;
  index.add(data.data(), ids.data(), n);
  auto queries = RandomUnit(dim, nq, 4);
  const int efs[2] = {10, 300};
  std::vector<loupe::SearchResult> serial[2];
  for (int e = 0; e < 2; ++e)
    for (int q = 0; q < nq; ++q) serial[e].push_back(index.search(queries.data() + q * dim, 1, k, efs[e]));
  int differing = 0;  // the two beam widths must disagree somewhere, or this test proves nothing
  for (int q = 0; q < nq; ++q) differing += serial[0][q].ids != serial[1][q].ids;
  CHECK(differing > 0);
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int round = 0; round < 20; ++round)
        for (int q = 0; q < nq; ++q) {
          const int e = (t + round + q) % 2;
          if (index.search(queries.data() + q * dim, 1, k, efs[e]).ids != serial[e][q].ids) ++mismatches;
        }
    });
  for (auto& th : threads) th.join();
  CHECK(mismatches.load() == 0);
}

// Recall@k of an index against brute-force inner product over the same vectors.
double Recall(const loupe::VectorIndex& index, const std::vector<float>& data, const std::vector<int64_t>& ids,
              const std::vector<float>& queries, int dim, int k, const loupe::SearchParams& params) {
  const int n = static_cast<int>(ids.size()), nq = static_cast<int>(queries.size() / dim);
  int found = 0;
  for (int q = 0; q < nq; ++q) {
    std::vector<std::pair<float, int64_t>> all(n);
    for (int i = 0; i < n; ++i) {
      float s = 0;
      for (int j = 0; j < dim; ++j) s += queries[q * dim + j] * data[i * dim + j];
      all[i] = {s, ids[i]};
    }
    std::partial_sort(all.begin(), all.begin() + k, all.end(), [](auto& a, auto& b) { return a.first > b.first; });
    auto r = index.search(queries.data() + q * dim, 1, k, params);
    for (int j = 0; j < k; ++j)
      for (int t = 0; t < k; ++t) found += r.ids[j] == all[t].second;
  }
  return static_cast<double>(found) / (nq * k);
}

// Clustered unit vectors (what embeddings look like; PQ on uniform noise measures nothing).
std::vector<float> Clustered(int dim, int n, int clusters, unsigned seed) {
  auto centers = RandomUnit(dim, clusters, seed);
  std::mt19937 rng(seed + 1);
  std::normal_distribution<float> g(0.f, 0.4f / std::sqrt(static_cast<float>(dim)));
  std::vector<float> v(static_cast<size_t>(dim) * n);
  for (int i = 0; i < n; ++i) {
    const int c = static_cast<int>(rng() % clusters);
    float norm = 0;
    for (int j = 0; j < dim; ++j) norm += (v[i * dim + j] = centers[c * dim + j] + g(rng)) * v[i * dim + j];
    for (int j = 0; j < dim; ++j) v[i * dim + j] /= std::sqrt(norm);
  }
  return v;
}

// The compressed kinds: exact until trainSize vectors, trained inside that add, recall against brute force,
// tombstones hidden, compaction keeping the live set, snapshots round-tripping with their training state.
void CompressedKinds() {
  const int dim = 32, n = 4000, k = 10;
  auto data = Clustered(dim, n, 40, 5);
  auto queries = Clustered(dim, 50, 40, 6);
  std::vector<int64_t> ids(n);
  for (int i = 0; i < n; ++i) ids[i] = 5000 + 3 * i;
  loupe::SearchParams params;
  params.efSearch = 128;
  params.nprobe = 16;
  params.refineFactor = 8;
  for (auto kind : {loupe::VectorIndexKind::HNSW_SQ8, loupe::VectorIndexKind::IVF_PQ}) {
    loupe::VectorIndexOptions o;
    o.hnswM = 16;
    o.nlist = 32;
    o.pqM = 8;
    o.trainSize = 2000;
    loupe::VectorIndex index(dim, kind, o);
    CHECK(index.add(data.data(), ids.data(), 1500) == 1500);
    CHECK(!index.trained());
    // Still exact: the staging index is flat.
    std::vector<int64_t> firstIds(ids.begin(), ids.begin() + 1500);
    std::vector<float> firstData(data.begin(), data.begin() + 1500 * dim);
    CHECK(Recall(index, firstData, firstIds, queries, dim, k, params) == 1.0);
    const int64_t early[1] = {ids[7]};
    CHECK(index.remove(early, 1) == 1);  // a staging delete is a real one
    const std::string staged = "/tmp/loupe_vector_index_test_staged";
    index.save(staged);
    auto stagedBack = loupe::VectorIndex::load(staged, kind, o);
    CHECK(!stagedBack->trained() && stagedBack->size() == 1499 && stagedBack->kind() == kind);
    CHECK(index.add(data.data() + 1500 * dim, ids.data() + 1500, n - 1500) == static_cast<size_t>(n - 1500));
    CHECK(index.trained());
    CHECK(index.size() == n - 1);
    CHECK(!index.contains(ids[7]) && index.contains(ids[8]));
    std::vector<int64_t> liveIds(ids);
    std::vector<float> liveData(data);
    liveIds.erase(liveIds.begin() + 7);
    liveData.erase(liveData.begin() + 7 * dim, liveData.begin() + 8 * dim);
    const double recall = Recall(index, liveData, liveIds, queries, dim, k, params);
    std::printf("%s recall@10 %.3f\n", index.factory().c_str(), recall);
    CHECK(recall >= 0.85);
    if (kind == loupe::VectorIndexKind::IVF_PQ) {
      loupe::VectorIndexOptions plain = o;
      plain.refine = loupe::RefineKind::None;
      loupe::VectorIndex noRefine(dim, kind, plain);
      noRefine.add(liveData.data(), liveIds.data(), liveIds.size());
      const double pqOnly = Recall(noRefine, liveData, liveIds, queries, dim, k, params);
      std::printf("%s recall@10 %.3f\n", noRefine.factory().c_str(), pqOnly);
      CHECK(pqOnly < recall);  // the refine stage is what buys recall
      loupe::SearchParams one = params;
      one.nprobe = 1;
      CHECK(Recall(index, liveData, liveIds, queries, dim, k, one) < recall);  // nprobe is honoured per call
    }
    // Tombstones: the best hit of a query disappears from that query's results.
    auto before = index.search(queries.data(), 1, k, params);
    const int64_t top = before.ids[0];
    CHECK(index.remove(&top, 1) == 1);
    auto after = index.search(queries.data(), 1, k, params);
    for (int64_t id : after.ids) CHECK(id != top);
    CHECK(!index.contains(top) && index.size() == n - 2);
    // Snapshot with tombstones, read back with and without the expected kind.
    const std::string path = std::string("/tmp/loupe_vector_index_test_") + (kind == loupe::VectorIndexKind::IVF_PQ ? "ivfpq" : "hnswsq8");
    index.save(path);
    auto loaded = loupe::VectorIndex::load(path);
    CHECK(loaded->kind() == kind && loaded->trained() && loaded->size() == n - 2 && loaded->factory() == index.factory());
    CHECK(loaded->search(queries.data(), 1, k, params).ids == after.ids);
    auto expected = loupe::VectorIndex::load(path, kind, o);
    CHECK(expected->search(queries.data(), 1, k, params).ids == after.ids);
    bool threw = false;
    try {
      loupe::VectorIndexOptions other = o;
      other.hnswM = 8;
      other.pqM = 4;
      loupe::VectorIndex::load(path, kind, other);
    } catch (const std::runtime_error&) {
      threw = true;
    }
    CHECK(threw);
    // Removing more than a third compacts: the live vectors stay, searchable, and the removed ones are gone for good.
    std::vector<int64_t> drop(liveIds.begin(), liveIds.begin() + 1600);
    CHECK(index.remove(drop.data(), drop.size()) == (std::find(drop.begin(), drop.end(), top) == drop.end() ? 1600u : 1599u));
    const int64_t remaining = index.size();
    CHECK(remaining == n - 2 - (std::find(drop.begin(), drop.end(), top) == drop.end() ? 1600 : 1599));
    CHECK(!index.contains(drop[0]) && index.contains(liveIds[3000]));
    const float* self = data.data() + static_cast<size_t>((liveIds[3000] - 5000) / 3) * dim;
    auto selfHit = index.search(self, 1, 1, params);
    CHECK(selfHit.ids[0] == liveIds[3000]);
    CHECK(index.add(data.data(), ids.data(), 1) == 0 || index.contains(ids[0]));
    for (const auto& f : {path, path + ".tomb", staged, staged + ".tomb"}) std::remove(f.c_str());
  }
  bool threw = false;
  try {
    loupe::VectorIndexOptions o;
    o.pqM = 7;  // does not divide 32
    o.trainSize = 1000;
    loupe::VectorIndex bad(32, loupe::VectorIndexKind::IVF_PQ, o);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
}
}  // namespace

int main() {
  CompressedKinds();
  HnswSearchMatchesFaiss();
  ConcurrentEfSearch();
  for (auto kind : {loupe::VectorIndexKind::Flat, loupe::VectorIndexKind::HNSW}) {
    const int dim = 8;
    loupe::VectorIndex index(dim, kind, 16);
    auto vecs = Basis(dim, 8);
    std::vector<int64_t> ids = {10, 11, 12, 13, 14, 15, 16, 17};
    CHECK(index.add(vecs.data(), ids.data(), ids.size()) == 8);
    CHECK(index.add(vecs.data(), ids.data(), 1) == 0);  // duplicate id skipped
    CHECK(index.size() == 8);
    auto r = index.search(vecs.data() + 3 * dim, 1, 3, 32);
    CHECK(r.ids[0] == 13);
    CHECK_NEAR(r.scores[0], 1.0, 1e-5);
    const int64_t gone[2] = {13, 999};
    CHECK(index.remove(gone, 2) == 1);
    CHECK(!index.contains(13));
    r = index.search(vecs.data() + 3 * dim, 1, 8, 32);
    for (int64_t id : r.ids) CHECK(id != 13);
    CHECK(r.ids[7] == -1);  // only 7 live vectors
    const int64_t subset[3] = {10, 14, 42};
    auto s = index.searchSubset(vecs.data() + 4 * dim, 1, subset, 3, 3);
    CHECK(s.ids[0] == 14 && s.ids[1] == 10 && s.ids[2] == -1);
    const std::string path = std::string("/tmp/loupe_vector_index_test_") + (kind == loupe::VectorIndexKind::HNSW ? "hnsw" : "flat");
    index.save(path);
    auto loaded = loupe::VectorIndex::load(path);
    CHECK(loaded->size() == 7 && loaded->kind() == kind && loaded->dim() == dim);
    CHECK(!loaded->contains(13) && loaded->contains(17));
    std::remove(path.c_str());
    std::remove((path + ".tomb").c_str());
  }
  bool threw = false;
  try {
    loupe::VectorIndex::load("/tmp/definitely-missing-loupe-index");
  } catch (const std::exception&) {
    threw = true;
  }
  CHECK(threw);
  threw = false;
  try {
    loupe::VectorIndex bad(0, loupe::VectorIndexKind::Flat);
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  CHECK(threw);
  return loupe_test::Finish("vector_index_test");
}
