#!/usr/bin/env bash
# Build the web app's front-end assets from the pinned npm packages.
#
# GOV.UK Frontend is compiled with our own Sass settings (no GDS Transport font, relative asset
# URLs) into webapp/static/govuk/, which is git-ignored: assets are built at set-up, never committed.
# Safe to run repeatedly and from any directory.
set -euo pipefail

root="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

out="webapp/static/govuk"
dist="node_modules/govuk-frontend/dist/govuk"

# Reinstall only when node_modules is missing or older than the lockfile. Sass is a
# devDependency: --include=dev keeps the build working where NODE_ENV=production.
if [[ ! -d node_modules || package-lock.json -nt node_modules ]]; then
  echo "build-assets: installing npm packages from package-lock.json"
  npm ci --include=dev --omit=optional --no-audit --no-fund
  touch node_modules
fi

# Build into a scratch folder and swap it in, so a failed build never leaves half an output.
mkdir -p webapp/static
tmp="$(mktemp -d webapp/static/.govuk-build.XXXXXX)"
trap 'rm -rf -- "$tmp"' EXIT

npx --no-install sass --load-path=node_modules --style=compressed --no-source-map \
  webapp/assets/scss/main.scss "$tmp/app.min.css"
cp "$dist/govuk-frontend.min.js" "$tmp/"
mkdir -p "$tmp/assets"
cp -R "$dist/assets/images" "$tmp/assets/images"
cp "$dist/assets/manifest.json" "$tmp/assets/manifest.json"

rm -rf -- "$out"
mv -- "$tmp" "$out"
chmod 755 "$out"
trap - EXIT

version="$(node -p 'require("./node_modules/govuk-frontend/package.json").version')"
echo "build-assets: built $out with govuk-frontend $version"
(cd "$out" && find . -type f | sort | while read -r f; do
  printf '  %-40s %8s bytes\n' "${f#./}" "$(wc -c <"$f" | tr -d ' ')"
done)
