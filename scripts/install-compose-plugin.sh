#!/usr/bin/env bash
# Installs the `docker compose` (v2) CLI plugin by building it from source through the Go module
# proxy, for machines that cannot reach Docker's package repositories. About a minute on 2 cores.
set -euo pipefail
version=${COMPOSE_VERSION:-v2.40.3}
plugins=${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins
src=$(mktemp -d)
trap 'rm -rf "$src"' EXIT
dir=$(cd "$src" && go mod init tmp >/dev/null 2>&1 && go mod download -json "github.com/docker/compose/v2@$version" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
# Build inside a copy of the module, so that its own replace and exclude directives apply.
cp -r "$dir/." "$src/compose" && chmod -R u+w "$src/compose"
mkdir -p "$plugins"
(cd "$src/compose" && CGO_ENABLED=0 go build -o "$plugins/docker-compose" ./cmd)
docker compose version
