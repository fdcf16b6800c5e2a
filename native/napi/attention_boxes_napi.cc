// N-API wrapper of native/core/attention_boxes: DINO-style attention maps to region boxes.
#include <memory>
#include <vector>

#include "core/attention_boxes.h"
#include "attention_boxes_napi.h"
#include "typed_arrays.h"

namespace loupe_napi {
namespace {

// attentionToBoxes(attentions, heads, gridW, gridH, imageW, imageH, perHead, resolution, minArea, maxBoxes)
Napi::Value AttentionToBoxes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 10 && IsF32(info[0]) && AllNumbers(info, 1, 6) && info[6].IsBoolean() &&
              AllNumbers(info, 7, 10),
          env, "attentionToBoxes(attentions, heads, gridW, gridH, imageW, imageH, perHead, resolution, minArea, maxBoxes)");
  auto att = CopyF32(info[0]);
  loupe::AttentionParams p;
  p.heads = Int(info[1]);
  p.grid_w = Int(info[2]);
  p.grid_h = Int(info[3]);
  p.image_w = Int(info[4]);
  p.image_h = Int(info[5]);
  p.mode = info[6].As<Napi::Boolean>().Value() ? loupe::AttentionMode::PerHead : loupe::AttentionMode::MeanOfHeads;
  p.resolution = Int(info[7]);
  p.min_area = Float(info[8]);
  p.max_boxes = Count(info[9]);
  Require(p.heads > 0 && p.grid_w > 0 && p.grid_h > 0 && p.resolution > 0 && p.resolution <= 8192 &&
              att->size() == static_cast<size_t>(p.heads) * p.grid_w * p.grid_h,
          env, "attentionToBoxes: attentions must hold heads * gridW * gridH floats");
  auto r = std::make_shared<loupe::AttentionBoxes>();
  return PromiseWorker::Run(
      env, [att, p, r] { *r = loupe::AttentionToBoxes(att->data(), p); },
      [r](Napi::Env e) { return DetectionsToJs(e, r->boxes, r->scores, r->maps, "maps"); });
}

}  // namespace

void RegisterAttentionBoxes(Napi::Env env, Napi::Object exports) {
  exports.Set("attentionToBoxes", Napi::Function::New(env, AttentionToBoxes, "attentionToBoxes"));
}

}  // namespace loupe_napi
