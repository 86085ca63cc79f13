#!/bin/bash
# Runs inside the build container: the Heroku buildpack API (bin/detect,
# bin/compile BUILD_DIR CACHE_DIR ENV_DIR, bin/release), then the slug.
# BUILDPACK_URL (a config var) or .buildpacks (one per line) choose the
# buildpacks: git URLs, paths in the repository, or absolute paths; they run
# in order and the last one's bin/release counts. Otherwise detection picks.
set -eo pipefail
BUILD_DIR=/tmp/build CACHE_DIR=/tmp/cache ENV_DIR=/tmp/env OUT=/tmp/out
chosen=()
if [ -f "$ENV_DIR/BUILDPACK_URL" ]; then
  chosen+=("$(cat "$ENV_DIR/BUILDPACK_URL")")
elif [ -f "$BUILD_DIR/.buildpacks" ]; then
  while read -r url; do
    [ -n "$url" ] && [[ "$url" != \#* ]] && chosen+=("$url")
  done < "$BUILD_DIR/.buildpacks"
fi
packs=()
if [ ${#chosen[@]} -gt 0 ]; then
  i=0
  for url in "${chosen[@]}"; do
    dir=/tmp/buildpacks/$i
    mkdir -p /tmp/buildpacks
    case "$url" in
      http://*|https://*|git://*|ssh://*|git@*)
        echo "-----> Fetching buildpack $url"
        git clone -q --depth 1 "$url" "$dir" || { echo " !     cannot fetch buildpack $url"; exit 1; } ;;
      /*) cp -r "$url" "$dir" || { echo " !     no buildpack at $url"; exit 1; } ;;
      *) cp -r "$BUILD_DIR/$url" "$dir" 2>/dev/null || { echo " !     no buildpack at $url in the repository"; exit 1; } ;;
    esac
    [ -f "$dir/bin/compile" ] || { echo " !     $url is not a buildpack: it has no bin/compile"; exit 1; }
    packs+=("$dir")
    i=$((i + 1))
  done
else
  for bp in /buildpacks/packs/*/; do
    if bash "$bp/bin/detect" "$BUILD_DIR" >/dev/null 2>&1; then packs+=("$bp"); break; fi
  done
  if [ ${#packs[@]} -eq 0 ]; then
    echo " !     No buildpack matched this app: add a package.json (Node.js), a pom.xml (Java) or a Procfile"
    exit 1
  fi
fi
for bp in "${packs[@]}"; do
  name=$(bash "$bp/bin/detect" "$BUILD_DIR" 2>/dev/null || basename "$bp")
  echo "-----> $name app detected"
  bash "$bp/bin/compile" "$BUILD_DIR" "$CACHE_DIR" "$ENV_DIR"
done
bash "${packs[-1]}/bin/release" "$BUILD_DIR" > "$OUT/release.yml"
echo "-----> Compressing..."
tar -C "$BUILD_DIR" -czf "$OUT/slug.tgz" .
echo "       Done: $(du -h "$OUT/slug.tgz" | cut -f1)"
