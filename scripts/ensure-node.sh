#!/usr/bin/env bash
# Makes Node >= 22.19 the first `node` on PATH.
#
# Source it (`. scripts/ensure-node.sh`) so that PATH carries over. When the machine's Node is
# older, Node 24 is installed from the npm registry's `node` package (which ships the binary)
# into a cache outside the repository, once, and reused afterwards.
NODE_PIN="${CBBS_NODE_VERSION:-24.21.0}"
NODE_CACHE="${CBBS_CACHE_DIR:-$HOME/.cache/cbbs-operator}/node-$NODE_PIN"

cbbs_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=19)?0:1)'
}

if ! cbbs_node_ok; then
  if [ ! -x "$NODE_CACHE/node_modules/node/bin/node" ]; then
    command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm is needed to install Node $NODE_PIN" >&2; return 1 2>/dev/null || exit 1; }
    echo "ensure-node: installing Node $NODE_PIN into $NODE_CACHE" >&2
    mkdir -p "$NODE_CACHE"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$NODE_CACHE" "node@$NODE_PIN" >&2 \
      || { echo "ensure-node: could not install node@$NODE_PIN from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  fi
  # The package ships only the node binary: npm stays the machine's own, now running on Node 24.
  export PATH="$NODE_CACHE/node_modules/node/bin:$NODE_CACHE/node_modules/.bin:$PATH"
  hash -r
  cbbs_node_ok || { echo "ensure-node: Node in $NODE_CACHE does not run" >&2; return 1 2>/dev/null || exit 1; }
fi
