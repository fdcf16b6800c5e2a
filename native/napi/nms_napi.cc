// N-API wrappers of native/core/nms (CPU, or the CUDA kernel when built and a device is present).
#include "nms_napi.h"

#include <memory>
#include <vector>

#include "core/nms.h"
#include "gpu_dispatch.h"
#include "typed_arrays.h"

namespace loupe_napi {
namespace {

// nms(boxes, scores, iouThreshold, maxOutputs, scoreThreshold, device) -> Promise<Int32Array>
Napi::Value Nms(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 6 && IsF32(info[0]) && IsF32(info[1]) && info[2].IsNumber() && info[3].IsNumber() &&
              info[4].IsNumber() && info[5].IsNumber(),
          env, "nms(boxes, scores, iouThreshold, maxOutputs, scoreThreshold, device)");
  auto boxes = CopyF32(info[0]);
  auto scores = CopyF32(info[1]);
  Require(boxes->size() == scores->size() * 4, env, "nms: boxes must hold 4 floats per score");
  const float iou = info[2].As<Napi::Number>().FloatValue();
  const size_t max_out = Count(info[3]);
  const float score_thr = info[4].As<Napi::Number>().FloatValue();
  const int device = info[5].As<Napi::Number>().Int32Value();
  auto keep = std::make_shared<std::vector<int32_t>>();
  return PromiseWorker::Run(
      env,
      [boxes, scores, iou, max_out, score_thr, device, keep] {
        if (GpuNms(boxes->data(), scores->data(), scores->size(), iou, max_out, score_thr, device, keep.get())) return;
        *keep = loupe::Nms(boxes->data(), scores->data(), scores->size(), iou, max_out, score_thr);
      },
      [keep](Napi::Env e) { return ToInt32Array(e, *keep); });
}

}  // namespace

void RegisterNms(Napi::Env env, Napi::Object exports) {
  exports.Set("nms", Napi::Function::New(env, Nms, "nms"));
}

}  // namespace loupe_napi
