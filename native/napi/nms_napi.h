#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterNms(Napi::Env env, Napi::Object exports);
}
