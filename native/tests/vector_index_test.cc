#include "vector_index.h"

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
}  // namespace

int main() {
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
