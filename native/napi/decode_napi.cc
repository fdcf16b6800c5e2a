// N-API wrappers of native/core/decode: YOLOX and OWL-ViT outputs to boxes in original pixels.
#include "decode_napi.h"

#include <memory>
#include <vector>

#include "core/decode.h"
#include "typed_arrays.h"

namespace loupe_napi {
namespace {

// decodeYolox(output, classes, inputW, inputH, strides: Int32Array, scale, imageW, imageH, scoreThreshold)
Napi::Value DecodeYolox(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 9 && IsF32(info[0]) && AllNumbers(info, 1, 4) && info[4].IsTypedArray() &&
              info[4].As<Napi::TypedArray>().TypedArrayType() == napi_int32_array && AllNumbers(info, 5, 9),
          env, "decodeYolox(output, classes, inputW, inputH, strides, scale, imageW, imageH, scoreThreshold)");
  auto output = CopyF32(info[0]);
  const int classes = Int(info[1]);
  loupe::YoloxParams p;
  p.input_w = Int(info[2]);
  p.input_h = Int(info[3]);
  auto strides = info[4].As<Napi::Int32Array>();
  p.strides.assign(strides.Data(), strides.Data() + strides.ElementLength());
  p.scale = Float(info[5]);
  p.image_w = Int(info[6]);
  p.image_h = Int(info[7]);
  p.score_threshold = Float(info[8]);
  Require(classes > 0 && output->size() % (5 + static_cast<size_t>(classes)) == 0, env,
          "decodeYolox: output length must be anchors * (5 + classes)");
  const size_t anchors = output->size() / (5 + classes);
  auto d = std::make_shared<loupe::Detections>();
  return PromiseWorker::Run(
      env, [output, anchors, classes, p, d] { *d = loupe::DecodeYolox(output->data(), anchors, classes, p); },
      [d](Napi::Env e) { return DetectionsToJs(e, d->boxes, d->scores, d->labels, "labels"); });
}

// decodeOwl(logits, predBoxes, queries, imageW, imageH, padToSquare, scoreThreshold, topK)
Napi::Value DecodeOwl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 8 && IsF32(info[0]) && IsF32(info[1]) && AllNumbers(info, 2, 5) && info[5].IsBoolean() &&
              AllNumbers(info, 6, 8),
          env, "decodeOwl(logits, predBoxes, queries, imageW, imageH, padToSquare, scoreThreshold, topK)");
  auto logits = CopyF32(info[0]);
  auto pred = CopyF32(info[1]);
  const int queries = Int(info[2]);
  Require(queries > 0 && pred->size() % 4 == 0 && logits->size() == pred->size() / 4 * queries, env,
          "decodeOwl: logits must be patches * queries and predBoxes patches * 4");
  loupe::OwlParams p;
  p.image_w = Int(info[3]);
  p.image_h = Int(info[4]);
  p.pad_to_square = info[5].As<Napi::Boolean>().Value();
  p.score_threshold = Float(info[6]);
  p.top_k = Count(info[7]);
  const size_t patches = pred->size() / 4;
  auto d = std::make_shared<loupe::Detections>();
  return PromiseWorker::Run(
      env, [logits, pred, patches, queries, p, d] { *d = loupe::DecodeOwl(logits->data(), pred->data(), patches, queries, p); },
      [d](Napi::Env e) { return DetectionsToJs(e, d->boxes, d->scores, d->labels, "labels"); });
}

}  // namespace

void RegisterDecode(Napi::Env env, Napi::Object exports) {
  exports.Set("decodeYolox", Napi::Function::New(env, DecodeYolox, "decodeYolox"));
  exports.Set("decodeOwl", Napi::Function::New(env, DecodeOwl, "decodeOwl"));
}

}  // namespace loupe_napi
