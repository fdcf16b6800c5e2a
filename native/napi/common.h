// Shared helpers for the N-API wrappers: promise-returning AsyncWorkers whose Execute never touches N-API.
#pragma once

#include <napi.h>

#include <exception>
#include <functional>
#include <string>

namespace loupe_napi {

// Runs `work` on the libuv pool; `done` builds the JS result on the main thread. A std::exception thrown by
// `work` rejects the promise with its message (FAISS exceptions included), never a crash; anything else thrown
// (not derived from std::exception) still rejects, with a message saying so.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Run(Napi::Env env, Work work, Done done) {
    auto* worker = new PromiseWorker(env, std::move(work), std::move(done));
    auto promise = worker->deferred_.Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("native work failed with an exception that is not a std::exception");
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(done_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    } catch (const std::exception& e) {
      deferred_.Reject(Napi::Error::New(env, e.what()).Value());
    } catch (...) {
      deferred_.Reject(Napi::Error::New(env, "native result conversion failed with an unknown exception").Value());
    }
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  PromiseWorker(Napi::Env env, Work work, Done done)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), work_(std::move(work)),
        done_(std::move(done)) {}
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
};

inline Napi::Float32Array ToFloat32Array(Napi::Env env, const float* data, size_t n) {
  auto arr = Napi::Float32Array::New(env, n);
  std::copy(data, data + n, arr.Data());
  return arr;
}

// Arguments are validated in TypeScript (src/native/); these checks only stop a misuse from crashing the process.
inline void Require(bool ok, Napi::Env env, const char* what) {
  if (!ok) throw Napi::TypeError::New(env, std::string("native: ") + what);
}

}  // namespace loupe_napi
