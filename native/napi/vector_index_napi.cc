// N-API wrapper of loupe::VectorIndex. Inputs are copied into plain vectors before the async work starts.
#include "vector_index_napi.h"

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "common.h"
#include "core/vector_index.h"

namespace loupe_napi {
namespace {

class VectorIndexWrap : public Napi::ObjectWrap<VectorIndexWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VectorIndex",
                       {InstanceMethod("add", &VectorIndexWrap::Add), InstanceMethod("remove", &VectorIndexWrap::Remove),
                        InstanceMethod("search", &VectorIndexWrap::Search),
                        InstanceMethod("searchSubset", &VectorIndexWrap::SearchSubset),
                        InstanceMethod("save", &VectorIndexWrap::Save), InstanceMethod("contains", &VectorIndexWrap::Contains),
                        InstanceAccessor("size", &VectorIndexWrap::Size, nullptr),
                        InstanceAccessor("dim", &VectorIndexWrap::Dim, nullptr),
                        InstanceAccessor("kind", &VectorIndexWrap::Kind, nullptr),
                        InstanceAccessor("factory", &VectorIndexWrap::Factory, nullptr),
                        InstanceAccessor("trained", &VectorIndexWrap::Trained, nullptr),
                        StaticMethod("load", &VectorIndexWrap::Load)});
  }

  // new VectorIndex(dim, kind: 'flat'|'hnsw'|'hnsw_sq8'|'ivf_pq', { hnswM, nlist, pqM, refine, trainSize })
  explicit VectorIndexWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VectorIndexWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() == 1 && info[0].IsExternal()) {  // from load()
      auto* holder = info[0].As<Napi::External<std::shared_ptr<loupe::VectorIndex>>>().Data();
      index_ = *holder;
      return;
    }
    Require(info.Length() >= 3 && info[0].IsNumber() && info[1].IsString() && info[2].IsObject(), env,
            "VectorIndex(dim, kind, options)");
    loupe::VectorIndexKind kind = ParseKind(env, info[1]);
    loupe::VectorIndexOptions options = ParseOptions(env, info[2]);
    try {
      index_ = std::make_shared<loupe::VectorIndex>(info[0].As<Napi::Number>().Int32Value(), kind, options);
    } catch (const std::exception& e) {
      throw Napi::Error::New(env, e.what());
    }
  }

 private:
  std::shared_ptr<loupe::VectorIndex> index_;

  static loupe::VectorIndexKind ParseKind(Napi::Env env, const Napi::Value& v) {
    const std::string kind = v.As<Napi::String>().Utf8Value();
    if (kind == "flat") return loupe::VectorIndexKind::Flat;
    if (kind == "hnsw") return loupe::VectorIndexKind::HNSW;
    if (kind == "hnsw_sq8") return loupe::VectorIndexKind::HNSW_SQ8;
    if (kind == "ivf_pq") return loupe::VectorIndexKind::IVF_PQ;
    throw Napi::TypeError::New(env, "unknown vector index kind: " + kind);
  }

  static const char* KindName(loupe::VectorIndexKind kind) {
    switch (kind) {
      case loupe::VectorIndexKind::HNSW: return "hnsw";
      case loupe::VectorIndexKind::HNSW_SQ8: return "hnsw_sq8";
      case loupe::VectorIndexKind::IVF_PQ: return "ivf_pq";
      default: return "flat";
    }
  }

  // The TypeScript wrapper has checked every field; absent ones keep the core defaults.
  static loupe::VectorIndexOptions ParseOptions(Napi::Env env, const Napi::Value& v) {
    loupe::VectorIndexOptions o;
    auto obj = v.As<Napi::Object>();
    auto num = [&](const char* name, auto& field) {
      Napi::Value x = obj.Get(name);
      if (x.IsNumber()) field = static_cast<std::remove_reference_t<decltype(field)>>(x.As<Napi::Number>().Int64Value());
    };
    num("hnswM", o.hnswM);
    num("nlist", o.nlist);
    num("pqM", o.pqM);
    num("trainSize", o.trainSize);
    Napi::Value refine = obj.Get("refine");
    if (refine.IsString()) {
      const std::string r = refine.As<Napi::String>().Utf8Value();
      if (r == "none") o.refine = loupe::RefineKind::None;
      else if (r == "sq8") o.refine = loupe::RefineKind::SQ8;
      else if (r == "sq4") o.refine = loupe::RefineKind::SQ4;
      else throw Napi::TypeError::New(env, "unknown refine kind: " + r);
    }
    return o;
  }

  Napi::Value Add(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 2 && info[0].IsTypedArray() && info[1].IsTypedArray(), env, "add(Float32Array, BigInt64Array)");
    auto vecs = info[0].As<Napi::Float32Array>();
    auto ids = info[1].As<Napi::BigInt64Array>();
    Require(vecs.ElementLength() == ids.ElementLength() * static_cast<size_t>(index_->dim()), env, "add: length mismatch");
    auto v = std::make_shared<std::vector<float>>(vecs.Data(), vecs.Data() + vecs.ElementLength());
    auto i = std::make_shared<std::vector<int64_t>>(ids.Data(), ids.Data() + ids.ElementLength());
    auto added = std::make_shared<size_t>(0);
    auto idx = index_;
    return PromiseWorker::Run(
        env, [idx, v, i, added] { *added = idx->add(v->data(), i->data(), i->size()); },
        [added](Napi::Env e) { return Napi::Number::New(e, static_cast<double>(*added)); });
  }

  Napi::Value Remove(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 1 && info[0].IsTypedArray(), env, "remove(BigInt64Array)");
    auto ids = info[0].As<Napi::BigInt64Array>();
    auto i = std::make_shared<std::vector<int64_t>>(ids.Data(), ids.Data() + ids.ElementLength());
    auto removed = std::make_shared<size_t>(0);
    auto idx = index_;
    return PromiseWorker::Run(
        env, [idx, i, removed] { *removed = idx->remove(i->data(), i->size()); },
        [removed](Napi::Env e) { return Napi::Number::New(e, static_cast<double>(*removed)); });
  }

  static Napi::Value ResultToJs(Napi::Env env, const loupe::SearchResult& r) {
    auto obj = Napi::Object::New(env);
    obj.Set("scores", ToFloat32Array(env, r.scores.data(), r.scores.size()));
    auto ids = Napi::BigInt64Array::New(env, r.ids.size());
    std::copy(r.ids.begin(), r.ids.end(), ids.Data());
    obj.Set("ids", ids);
    return obj;
  }

  // search(queries: Float32Array (nq*dim), k, efSearch, nprobe, refineFactor)
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 5 && info[0].IsTypedArray() && info[1].IsNumber() && info[2].IsNumber() && info[3].IsNumber() &&
                info[4].IsNumber(),
            env, "search(Float32Array, k, efSearch, nprobe, refineFactor)");
    auto q = info[0].As<Napi::Float32Array>();
    const size_t dim = static_cast<size_t>(index_->dim());
    Require(q.ElementLength() % dim == 0, env, "search: query length is not a multiple of dim");
    auto qv = std::make_shared<std::vector<float>>(q.Data(), q.Data() + q.ElementLength());
    size_t k = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
    loupe::SearchParams params;
    params.efSearch = info[2].As<Napi::Number>().Int32Value();
    params.nprobe = info[3].As<Napi::Number>().Int32Value();
    params.refineFactor = info[4].As<Napi::Number>().Int32Value();
    auto res = std::make_shared<loupe::SearchResult>();
    auto idx = index_;
    return PromiseWorker::Run(
        env, [idx, qv, k, params, res, dim] { *res = idx->search(qv->data(), qv->size() / dim, k, params); },
        [res](Napi::Env e) { return ResultToJs(e, *res); });
  }

  // searchSubset(queries, ids: BigInt64Array, k)
  Napi::Value SearchSubset(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 3 && info[0].IsTypedArray() && info[1].IsTypedArray() && info[2].IsNumber(), env,
            "searchSubset(Float32Array, BigInt64Array, k)");
    auto q = info[0].As<Napi::Float32Array>();
    auto ids = info[1].As<Napi::BigInt64Array>();
    const size_t dim = static_cast<size_t>(index_->dim());
    Require(q.ElementLength() % dim == 0, env, "searchSubset: query length is not a multiple of dim");
    auto qv = std::make_shared<std::vector<float>>(q.Data(), q.Data() + q.ElementLength());
    auto iv = std::make_shared<std::vector<int64_t>>(ids.Data(), ids.Data() + ids.ElementLength());
    size_t k = static_cast<size_t>(info[2].As<Napi::Number>().Int64Value());
    auto res = std::make_shared<loupe::SearchResult>();
    auto idx = index_;
    return PromiseWorker::Run(
        env, [idx, qv, iv, k, res, dim] { *res = idx->searchSubset(qv->data(), qv->size() / dim, iv->data(), iv->size(), k); },
        [res](Napi::Env e) { return ResultToJs(e, *res); });
  }

  Napi::Value Save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 1 && info[0].IsString(), env, "save(path)");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    auto idx = index_;
    return PromiseWorker::Run(env, [idx, path] { idx->save(path); }, [](Napi::Env e) { return e.Undefined(); });
  }

  Napi::Value Contains(const Napi::CallbackInfo& info) {
    Require(info.Length() >= 1 && info[0].IsBigInt(), info.Env(), "contains(bigint)");
    bool lossless = false;
    int64_t id = info[0].As<Napi::BigInt>().Int64Value(&lossless);
    return Napi::Boolean::New(info.Env(), lossless && index_->contains(id));
  }

  Napi::Value Size(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), static_cast<double>(index_->size())); }
  Napi::Value Dim(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), index_->dim()); }
  Napi::Value Kind(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), KindName(index_->kind())); }
  Napi::Value Factory(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), index_->factory()); }
  Napi::Value Trained(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), index_->trained()); }

  // load(path) reads the kind from the file; load(path, kind, options) requires that kind built with those options.
  static Napi::Value Load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Require(info.Length() >= 1 && info[0].IsString(), env, "load(path)");
    std::string path = info[0].As<Napi::String>().Utf8Value();
    const bool expect = info.Length() >= 3 && info[1].IsString() && info[2].IsObject();
    loupe::VectorIndexKind kind = expect ? ParseKind(env, info[1]) : loupe::VectorIndexKind::Flat;
    loupe::VectorIndexOptions options = expect ? ParseOptions(env, info[2]) : loupe::VectorIndexOptions{};
    auto loaded = std::make_shared<std::shared_ptr<loupe::VectorIndex>>();
    return PromiseWorker::Run(
        env,
        [path, loaded, expect, kind, options] {
          *loaded = std::shared_ptr<loupe::VectorIndex>(expect ? loupe::VectorIndex::load(path, kind, options)
                                                               : loupe::VectorIndex::load(path));
        },
        [loaded](Napi::Env e) -> Napi::Value {
          auto ext = Napi::External<std::shared_ptr<loupe::VectorIndex>>::New(e, loaded.get());
          // The constructor lives in this addon instance's data (one per environment: worker threads each load their
          // own), never in a process-wide static.
          return e.GetInstanceData<Napi::FunctionReference>()->New({ext});
        });
  }
};

}  // namespace

void RegisterVectorIndex(Napi::Env env, Napi::Object exports) {
  Napi::Function cls = VectorIndexWrap::Define(env);
  // Owned by the environment: deleted when it is torn down.
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(cls)));
  exports.Set("VectorIndex", cls);
  exports.Set("faissCompileOptions", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
                return Napi::String::New(info.Env(), loupe::faissCompileOptions());
              }));
}

}  // namespace loupe_napi
