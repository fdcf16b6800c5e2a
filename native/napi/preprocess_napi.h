#pragma once
#include <napi.h>
namespace loupe_napi {
void RegisterPreprocess(Napi::Env env, Napi::Object exports);
}
