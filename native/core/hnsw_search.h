// HNSW search with a per-call beam width, reading the graph only (safe under a shared lock).
// FAISS 1.7.3 has SearchParametersHNSW, but HNSW::search sizes its candidate queue from the shared hnsw.efSearch and
// only the stopping rule reads the parameter (impl/HNSW.cpp), so a per-call efSearch there needs a write to the index.
// This is HNSW::search for upper_beam == 1 with a bounded queue (FAISS's default path), with the queue sized from the
// call's ef, and a filter that hides ids from the results while still walking through them.
// Core file: no N-API here.
#pragma once

#include <cstdint>
#include <functional>

#include <faiss/IndexHNSW.h>

namespace loupe {

// Top-k of one query. D/I receive k entries best first (inner product similarity for IP indexes); missing results
// are id -1. `hidden(internalId)` true removes a vector from the results (tombstones); may be empty.
void hnswSearchOne(const faiss::IndexHNSW& index, const float* query, int k, int efSearch, float* D, int64_t* I,
                   const std::function<bool(int64_t)>& hidden);

}  // namespace loupe
