#!/usr/bin/env bash
# Build llama.cpp's own HTTP server (`llama-server`, with --parallel N slots and continuous batching)
# from the llama.cpp sources vendored in the llama-cpp-python sdist that uv already downloaded for the
# embedded backend. Nothing is fetched. It is the stand-in for vLLM in bench/model_concurrency_bench.py:
# llama-cpp-python's Python server answers one request at a time, so it cannot show batching.
#
#   bench/build_llama_server.sh [BUILD_DIR]     # default /tmp/docintel-llama-server; prints the binary
set -euo pipefail
BUILD_DIR="${1:-/tmp/docintel-llama-server}"
if [ -x "$BUILD_DIR/bin/llama-server" ]; then echo "$BUILD_DIR/bin/llama-server"; exit 0; fi
SOURCE="$(ls -d "${UV_CACHE_DIR:-$HOME/.cache/uv}"/sdists-v*/pypi/llama-cpp-python/0.3.36/*/src/vendor/llama.cpp \
  2>/dev/null | head -1 || true)"
if [ -z "$SOURCE" ]; then
  echo "no llama-cpp-python 0.3.36 sdist in uv's cache (run bin/setup first)" >&2; exit 1
fi
# The CPU flags are those pyproject.toml gives the embedded backend's build ([tool.uv]
# config-settings-package): AVX2, no AMX. A native build uses the AMX tiles the CPU reports, which
# virtual machines often do not enable for processes: the server then dies of a general protection
# fault as its threads start.
cmake -S "$SOURCE" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_OPENSSL=OFF \
  -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
  -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DGGML_AMX_TILE=OFF >&2
cmake --build "$BUILD_DIR" --target llama-server -j "${CMAKE_BUILD_PARALLEL_LEVEL:-2}" >&2
echo "$BUILD_DIR/bin/llama-server"
