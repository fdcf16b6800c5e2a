// N-API wrappers of native/core/ocr: DB text boxes, CTC decoding, upright text-line crops. Inputs are copied before
// the async work starts; results are built on the main thread.
#include "ocr_napi.h"

#include <memory>
#include <vector>

#include "core/ocr.h"
#include "typed_arrays.h"

namespace loupe_napi {
namespace {

// dbBoxes(prob, width, height, threshold, boxThreshold, unclipRatio, minSize, maxCandidates, scaleX, scaleY, imageW, imageH)
Napi::Value DbBoxes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 12 && IsF32(info[0]) && AllNumbers(info, 1, 12), env,
          "dbBoxes(prob, width, height, threshold, boxThreshold, unclipRatio, minSize, maxCandidates, scaleX, scaleY, imageW, imageH)");
  auto prob = CopyF32(info[0]);
  const int w = Int(info[1]), h = Int(info[2]);
  Require(w > 0 && h > 0 && prob->size() == static_cast<size_t>(w) * h, env, "dbBoxes: prob must be width * height");
  loupe::DbParams p;
  p.threshold = Float(info[3]);
  p.box_threshold = Float(info[4]);
  p.unclip_ratio = Float(info[5]);
  p.min_size = Float(info[6]);
  p.max_candidates = Count(info[7]);
  p.scale_x = Float(info[8]);
  p.scale_y = Float(info[9]);
  p.image_w = Int(info[10]);
  p.image_h = Int(info[11]);
  auto r = std::make_shared<loupe::DbResult>();
  return PromiseWorker::Run(
      env, [prob, w, h, p, r] { *r = loupe::DbBoxes(prob->data(), w, h, p); },
      [r](Napi::Env e) {
        auto obj = Napi::Object::New(e);
        obj.Set("quads", ToFloat32Array(e, r->quads.data(), r->quads.size()));
        obj.Set("scores", ToFloat32Array(e, r->scores.data(), r->scores.size()));
        obj.Set("components", Napi::Number::New(e, static_cast<double>(r->components)));
        return obj;
      });
}

// ctcDecode(probs, batch, steps, classes, blank, space, spaceThreshold)
Napi::Value CtcDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 7 && IsF32(info[0]) && AllNumbers(info, 1, 7), env,
          "ctcDecode(probs, batch, steps, classes, blank, space, spaceThreshold)");
  auto probs = CopyF32(info[0]);
  const size_t batch = Count(info[1]), steps = Count(info[2]), classes = Count(info[3]);
  const int blank = Int(info[4]);
  const int space = Int(info[5]);
  const float space_threshold = Float(info[6]);
  Require(classes > 0 && probs->size() == batch * steps * classes, env, "ctcDecode: probs must be batch * steps * classes");
  auto r = std::make_shared<loupe::CtcResult>();
  return PromiseWorker::Run(
      env,
      [probs, batch, steps, classes, blank, space, space_threshold, r] {
        *r = loupe::CtcDecode(probs->data(), batch, steps, classes, blank, space, space_threshold);
      },
      [r](Napi::Env e) {
        auto obj = Napi::Object::New(e);
        obj.Set("classes", ToInt32Array(e, r->classes));
        obj.Set("probs", ToFloat32Array(e, r->probs.data(), r->probs.size()));
        obj.Set("first", ToInt32Array(e, r->first));
        obj.Set("last", ToInt32Array(e, r->last));
        obj.Set("offsets", ToInt32Array(e, r->offsets));
        return obj;
      });
}

// warpQuads(data, width, height, quads, widths, rotate180, outHeight, batchWidth, bgr, mean, std, rescale)
Napi::Value WarpQuads(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Require(info.Length() >= 12 && IsTyped(info[0], napi_uint8_array) && AllNumbers(info, 1, 3) && IsF32(info[3]) &&
              IsTyped(info[4], napi_int32_array) && IsTyped(info[5], napi_uint8_array) && AllNumbers(info, 6, 8) &&
              info[8].IsBoolean() && IsF32(info[9]) && IsF32(info[10]) && info[11].IsNumber(),
          env, "warpQuads(data, width, height, quads, widths, rotate180, outHeight, batchWidth, bgr, mean, std, rescale)");
  auto bytes = info[0].As<Napi::Uint8Array>();
  const int w = Int(info[1]), h = Int(info[2]);
  Require(w > 0 && h > 0 && bytes.ElementLength() == static_cast<size_t>(w) * h * 3, env, "warpQuads: data must be width * height * 3");
  auto data = std::make_shared<std::vector<uint8_t>>(bytes.Data(), bytes.Data() + bytes.ElementLength());
  auto quads = CopyF32(info[3]);
  auto wa = info[4].As<Napi::Int32Array>();
  auto widths = std::make_shared<std::vector<int32_t>>(wa.Data(), wa.Data() + wa.ElementLength());
  auto ra = info[5].As<Napi::Uint8Array>();
  auto rot = std::make_shared<std::vector<uint8_t>>(ra.Data(), ra.Data() + ra.ElementLength());
  const size_t n = widths->size();
  Require(quads->size() == n * 8 && rot->size() == n, env, "warpQuads: quads n * 8, widths and rotate180 n");
  loupe::WarpParams p;
  p.height = Int(info[6]);
  p.batch_width = Int(info[7]);
  p.bgr = info[8].As<Napi::Boolean>().Value();
  auto mean = info[9].As<Napi::Float32Array>(), stdv = info[10].As<Napi::Float32Array>();
  Require(mean.ElementLength() == 3 && stdv.ElementLength() == 3 && p.height > 0 && p.batch_width > 0, env,
          "warpQuads: mean and std 3 floats, positive output size");
  for (int c = 0; c < 3; ++c) {
    p.mean[c] = mean.Data()[c];
    p.std[c] = stdv.Data()[c];
  }
  p.rescale = Float(info[11]);
  auto out = std::make_shared<std::vector<float>>(n * 3 * static_cast<size_t>(p.height) * p.batch_width);
  return PromiseWorker::Run(
      env,
      [data, w, h, quads, widths, rot, n, p, out] {
        loupe::WarpQuads({data->data(), w, h}, quads->data(), widths->data(), rot->data(), n, p, out->data());
      },
      [out](Napi::Env e) { return ToFloat32Array(e, out->data(), out->size()); });
}

}  // namespace

void RegisterOcr(Napi::Env env, Napi::Object exports) {
  exports.Set("dbBoxes", Napi::Function::New(env, DbBoxes, "dbBoxes"));
  exports.Set("ctcDecode", Napi::Function::New(env, CtcDecode, "ctcDecode"));
  exports.Set("warpQuads", Napi::Function::New(env, WarpQuads, "warpQuads"));
}

}  // namespace loupe_napi
