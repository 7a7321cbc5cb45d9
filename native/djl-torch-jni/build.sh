#!/usr/bin/env bash
# Builds DJL 0.36's PyTorch JNI (libdjl_torch.so) against an installed libtorch, for machines whose
# libtorch is not the 2.7.1 that DJL's Maven jar was built for (a GPU machine's PyTorch: the C++ ABI
# of libtorch changes between releases, so the jar's JNI dies with "symbol lookup error" there).
# The sources are DJL's, vendored unchanged from deepjavalibrary/djl v0.36.0 (README.md here).
#
#   native/djl-torch-jni/build.sh TORCH_DIR OUT_DIR [JAVA_HOME]
#
# TORCH_DIR holds include/ and lib/ (python3 -c 'import torch, os; print(os.path.dirname(torch.__file__))');
# the library is written to OUT_DIR/0.36.0-libdjl_torch.so, the first name DJL looks for in
# PYTORCH_LIBRARY_PATH (djl.md §1). Compiles with g++ directly, in parallel, without CMake: Torch's
# CMake config of a CUDA build looks for a full CUDA toolkit, which the JNI does not need (it calls
# no CUDA API; the CUDA kernels are reached through libtorch's dispatcher once libtorch_cuda.so is
# loaded, which DJL does for every library in PYTORCH_LIBRARY_PATH).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
torch="${1:?usage: build.sh TORCH_DIR OUT_DIR [JAVA_HOME]}"
out="${2:?usage: build.sh TORCH_DIR OUT_DIR [JAVA_HOME]}"
java_home="${3:-${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac || command -v java)")")")}}"
[[ -f "$java_home/include/jni.h" ]] || { echo "build.sh: no jni.h under $java_home/include" >&2; exit 2; }
[[ -f "$torch/lib/libtorch.so" ]] || { echo "build.sh: no lib/libtorch.so under $torch" >&2; exit 2; }
cxx="${CXX:-$(command -v g++ || command -v c++ || command -v clang++)}"
[[ -n "$cxx" ]] || { echo "build.sh: no C++ compiler (g++, c++ or clang++)" >&2; exit 2; }
abi="${TORCH_CXX11_ABI:-1}" # torch.compiled_with_cxx11_abi(); the wheels since 2.7 use the new ABI
mkdir -p "$out"
obj="$(mktemp -d)"
flags=(-O2 -DNDEBUG -fPIC -std=gnu++17 "-D_GLIBCXX_USE_CXX11_ABI=$abi"
  -I"$here/include" -I"$java_home/include" -I"$java_home/include/linux"
  -isystem "$torch/include" -isystem "$torch/include/torch/csrc/api/include")
ls "$here"/src/*.cc | xargs -P "$(nproc)" -I{} sh -c \
  'cxx="$1"; obj="$2"; src="$3"; shift 3; "$cxx" "$@" -c "$src" -o "$obj/$(basename "$src" .cc).o"' \
  _ "$cxx" "$obj" {} "${flags[@]}"
"$cxx" -shared -o "$out/0.36.0-libdjl_torch.so" "$obj"/*.o -L"$torch/lib" -ltorch -ltorch_cpu -lc10 \
  -Wl,-rpath,'$ORIGIN'
rm -rf "$obj"
echo "built $out/0.36.0-libdjl_torch.so against $torch"
