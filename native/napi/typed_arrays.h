// Small typed-array helpers shared by the preprocess/nms/decode/attention wrappers.
#pragma once

#include <napi.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common.h"

namespace loupe_napi {

inline bool IsTyped(const Napi::Value& v, napi_typedarray_type type) {
  return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == type;
}
inline bool IsF32(const Napi::Value& v) { return IsTyped(v, napi_float32_array); }

inline std::shared_ptr<std::vector<float>> CopyF32(const Napi::Value& v) {
  auto a = v.As<Napi::Float32Array>();
  return std::make_shared<std::vector<float>>(a.Data(), a.Data() + a.ElementLength());
}

inline Napi::Int32Array ToInt32Array(Napi::Env env, const std::vector<int32_t>& v) {
  auto arr = Napi::Int32Array::New(env, v.size());
  std::copy(v.begin(), v.end(), arr.Data());
  return arr;
}

inline bool AllNumbers(const Napi::CallbackInfo& info, size_t from, size_t to) {
  for (size_t i = from; i < to; ++i) {
    if (!info[i].IsNumber()) return false;
  }
  return true;
}

inline int32_t Int(const Napi::Value& v) { return v.As<Napi::Number>().Int32Value(); }
inline float Float(const Napi::Value& v) { return v.As<Napi::Number>().FloatValue(); }

/** A non-negative count from a JS number (validated in TS); anything <= 0 or NaN is 0, capped at 1e9. */
inline size_t Count(const Napi::Value& v) {
  const double d = v.As<Napi::Number>().DoubleValue();
  return d > 0 ? static_cast<size_t>(std::min(d, 1e9)) : 0;
}

/** { boxes: Float32Array, scores: Float32Array, [label_key]: Int32Array } */
inline Napi::Value DetectionsToJs(Napi::Env env, const std::vector<float>& boxes, const std::vector<float>& scores,
                                  const std::vector<int32_t>& labels, const char* label_key) {
  auto obj = Napi::Object::New(env);
  obj.Set("boxes", ToFloat32Array(env, boxes.data(), boxes.size()));
  obj.Set("scores", ToFloat32Array(env, scores.data(), scores.size()));
  obj.Set(label_key, ToInt32Array(env, labels));
  return obj;
}

}  // namespace loupe_napi
