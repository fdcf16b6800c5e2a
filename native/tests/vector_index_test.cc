#include "vector_index.h"

#include <faiss/IndexHNSW.h>

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
}  // namespace

int main() {
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
