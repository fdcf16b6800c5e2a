// Whether the native addon can use a GPU: built with the CUDA kernels (nvcc was found) and a CUDA device present.
import { addon } from './addon.js';

export interface NativeGpuInfo {
  /** The addon was built with the CUDA kernels (LOUPE_CUDA=AUTO found nvcc, or ON). */
  built: boolean;
  /** CUDA devices visible to this process (0 without a driver or device). */
  devices: number;
}

export function nativeGpuInfo(): NativeGpuInfo {
  return addon.gpuInfo();
}
