#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterAttentionBoxes(Napi::Env env, Napi::Object exports);
}
