// N-API wrappers of native/core/preprocess: inputs are copied before the async work starts; the output typed array is
// allocated on the main thread and held by a reference while the worker fills it.
#include "preprocess_napi.h"

#include <memory>
#include <vector>

#include "common.h"
#include "core/preprocess.h"
#include "gpu_dispatch.h"

namespace loupe_napi {
namespace {

struct ImageCopy {
  std::vector<uint8_t> data;
  int width = 0;
  int height = 0;
  loupe::RgbImage view() const { return {data.data(), width, height}; }
};

std::shared_ptr<ImageCopy> CopyImage(Napi::Env env, const Napi::Value& data, const Napi::Value& w, const Napi::Value& h) {
  Require(data.IsTypedArray() && data.As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array && w.IsNumber() &&
              h.IsNumber(),
          env, "image(Uint8Array, width, height)");
  auto bytes = data.As<Napi::Uint8Array>();
  auto img = std::make_shared<ImageCopy>();
  img->width = w.As<Napi::Number>().Int32Value();
  img->height = h.As<Napi::Number>().Int32Value();
  Require(img->width > 0 && img->height > 0 &&
              bytes.ElementLength() == static_cast<size_t>(img->width) * img->height * 3,
          env, "image: length must be width*height*3");
  img->data.assign(bytes.Data(), bytes.Data() + bytes.ElementLength());
  return img;
}

// preprocessBatch(data, width, height, boxes, size, mode, resample, mean, std, rescale, device) -> Promise<Float32Array>
// mode: 0 squash, 1 shortest-edge-center-crop; resample: 0 bilinear, 1 bicubic; device: 0 auto, 1 cpu, 2 cuda.
Napi::Value PreprocessBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 11 && info[3].IsTypedArray() && info[4].IsNumber() && info[5].IsNumber() &&
              info[6].IsNumber() && info[7].IsTypedArray() && info[8].IsTypedArray() && info[9].IsNumber() &&
              info[10].IsNumber(),
          env, "preprocessBatch(data, width, height, boxes, size, mode, resample, mean, std, rescale, device)");
  auto img = CopyImage(env, info[0], info[1], info[2]);
  auto boxes_arr = info[3].As<Napi::Float32Array>();
  auto mean = info[7].As<Napi::Float32Array>();
  auto stdv = info[8].As<Napi::Float32Array>();
  Require(boxes_arr.TypedArrayType() == napi_float32_array && boxes_arr.ElementLength() % 4 == 0 &&
              mean.TypedArrayType() == napi_float32_array && mean.ElementLength() == 3 &&
              stdv.TypedArrayType() == napi_float32_array && stdv.ElementLength() == 3,
          env, "preprocessBatch: boxes N*4, mean and std 3 floats");
  loupe::PreprocessParams p;
  p.size = info[4].As<Napi::Number>().Int32Value();
  p.mode = info[5].As<Napi::Number>().Int32Value() == 1 ? loupe::ResizeMode::ShortestEdgeCenterCrop
                                                         : loupe::ResizeMode::Squash;
  p.resample = info[6].As<Napi::Number>().Int32Value() == 1 ? loupe::Resample::Bicubic : loupe::Resample::Bilinear;
  for (int c = 0; c < 3; ++c) {
    p.mean[c] = mean.Data()[c];
    p.std[c] = stdv.Data()[c];
  }
  p.rescale = info[9].As<Napi::Number>().FloatValue();
  const int device = info[10].As<Napi::Number>().Int32Value();
  const size_t n = boxes_arr.ElementLength() / 4;
  Require(p.size > 0 && p.size <= 8192 && n <= 65536, env, "preprocessBatch: size or box count out of range");
  const size_t total = n * 3 * static_cast<size_t>(p.size) * p.size;
  Require(total <= (static_cast<size_t>(1) << 30), env, "preprocessBatch: output too large");
  auto boxes = std::make_shared<std::vector<float>>(boxes_arr.Data(), boxes_arr.Data() + boxes_arr.ElementLength());
  auto out_arr = Napi::Float32Array::New(env, total);
  float* out = out_arr.Data();
  auto out_ref = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(out_arr));
  return PromiseWorker::Run(
      env,
      [img, boxes, p, n, out, device] {
        if (n == 0) return;
        if (GpuPreprocessBatch(img->view(), boxes->data(), n, p, out, device)) return;
        loupe::PreprocessBatch(img->view(), boxes->data(), n, p, out);
      },
      [out_ref](Napi::Env) -> Napi::Value { return out_ref->Value(); });
}

// letterbox(data, width, height, targetW, targetH, pad) -> Promise<{ tensor: Float32Array, scale: number }>
Napi::Value Letterbox(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 6 && info[3].IsNumber() && info[4].IsNumber() && info[5].IsNumber(), env,
          "letterbox(data, width, height, targetW, targetH, pad)");
  auto img = CopyImage(env, info[0], info[1], info[2]);
  const int tw = info[3].As<Napi::Number>().Int32Value();
  const int th = info[4].As<Napi::Number>().Int32Value();
  const float pad = info[5].As<Napi::Number>().FloatValue();
  Require(tw > 0 && th > 0 && tw <= 8192 && th <= 8192, env, "letterbox: target size out of range");
  auto out_arr = Napi::Float32Array::New(env, static_cast<size_t>(3) * tw * th);
  float* out = out_arr.Data();
  auto out_ref = std::make_shared<Napi::Reference<Napi::Float32Array>>(Napi::Persistent(out_arr));
  auto scale = std::make_shared<float>(0.f);
  return PromiseWorker::Run(
      env, [img, tw, th, pad, out, scale] { *scale = loupe::Letterbox(img->view(), tw, th, pad, out); },
      [out_ref, scale](Napi::Env e) -> Napi::Value {
        auto obj = Napi::Object::New(e);
        obj.Set("tensor", out_ref->Value());
        obj.Set("scale", Napi::Number::New(e, *scale));
        return obj;
      });
}

// gpuInfo() -> { built: boolean, devices: number }: whether this build has the CUDA kernels and how many devices it sees.
Napi::Value GpuInfo(const Napi::CallbackInfo& info) {
  auto obj = Napi::Object::New(info.Env());
#ifdef LOUPE_WITH_CUDA
  obj.Set("built", true);
  obj.Set("devices", loupe::cuda::DeviceCount());
#else
  obj.Set("built", false);
  obj.Set("devices", 0);
#endif
  return obj;
}

}  // namespace

void RegisterPreprocess(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocessBatch", Napi::Function::New(env, PreprocessBatch, "preprocessBatch"));
  exports.Set("letterbox", Napi::Function::New(env, Letterbox, "letterbox"));
  exports.Set("gpuInfo", Napi::Function::New(env, GpuInfo, "gpuInfo"));
}

}  // namespace loupe_napi
