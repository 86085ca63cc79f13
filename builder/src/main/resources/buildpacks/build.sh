#!/bin/bash
# Runs inside the build container: the Heroku buildpack API (bin/detect,
# bin/compile BUILD_DIR CACHE_DIR ENV_DIR, bin/release), then the slug.
set -eo pipefail
BUILD_DIR=/tmp/build CACHE_DIR=/tmp/cache ENV_DIR=/tmp/env OUT=/tmp/out
chosen=""
for bp in /buildpacks/packs/*/; do
  if name=$(bash "$bp/bin/detect" "$BUILD_DIR" 2>/dev/null); then chosen="$bp"; break; fi
done
if [ -z "$chosen" ]; then
  echo " !     No buildpack matched this app: add a package.json (Node.js), a pom.xml (Java) or a Procfile"
  exit 1
fi
echo "-----> $name app detected"
bash "$chosen/bin/compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"
bash "$chosen/bin/release" "$BUILD_DIR" > "$OUT/release.yml"
echo "-----> Compressing..."
tar -C "$BUILD_DIR" -czf "$OUT/slug.tgz" .
echo "       Done: $(du -h "$OUT/slug.tgz" | cut -f1)"
