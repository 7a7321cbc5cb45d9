/*
 * MKL's code path on AMD CPUs (docs/adr/0004-mkl-code-path-on-amd.md).
 *
 * The MKL inside libtorch asks this function whether the CPU is an Intel one. When the answer is no,
 * it runs slower kernels for small and pre-packed single-precision GEMMs. A forward pass of LLaDA at
 * B·L = 256 is made of such GEMMs. Loaded ahead of libtorch (LD_PRELOAD, set by bin/llada and
 * bin/platform only on AMD x86-64 CPUs with AVX2 and FMA), this definition answers yes. MKL then
 * chooses its kernels by the instruction set the CPU reports, as it does on an Intel CPU. MKL and
 * libtorch themselves are left unchanged.
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
