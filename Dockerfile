# syntax=docker/dockerfile:1
# cbbs-operator image: `make image` at the repository root (any OCI builder: scripts/image.sh), or
# `docker build -t cbbs-operator .`; multi-arch release builds: .github/workflows/release.yml.
# Two stages on the same Node 24 base: build (all dependencies, one bundle per entry point into
# dist/ by scripts/bundle.ts) and a small runtime that runs `node dist/main.js` as uid 65532. The
# bundles need no node_modules at run time.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# Dependencies first so that source edits do not invalidate the npm ci layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts/bundle.ts ./scripts/
COPY src ./src
RUN npm run build

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="cbbs-operator" \
      org.opencontainers.image.description="Kubernetes operator for the Couchbase Backup Service" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/cbbs-operator/cbbs-operator"
# Memory (docs/scale.md): glibc keeps two malloc arenas instead of eight per core, and V8's young
# generation stays at 1 MiB per semi-space; each saved 5-17 MiB of RSS at 50 repositories with no
# measurable CPU cost. --liftoff-only keeps WebAssembly (undici's HTTP/1 parser, llhttp) on V8's
# baseline compiler: its optimizing tier cost about 10 MiB of RSS at the first Backup Service
# requests (N = 50: 101-105 -> 91-92 MiB) for parsing a few small answers a second. With that flag
# a construct the baseline compiler cannot take aborts the process instead of falling back, so
# undici gets llhttp's scalar build (UNDICI_NO_WASM_SIMD=1), which it compiles on amd64 and arm64
# alike; test/unit/image-runtime.test.ts runs an HTTP/1 request under these flags. The scale bench
# reads these lines and runs the operator the same way.
ENV NODE_ENV=production MALLOC_ARENA_MAX=2 UNDICI_NO_WASM_SIMD=1
WORKDIR /app
# Everything is owned by root and read-only for the operator's user; the chart also mounts the
# root filesystem read-only.
COPY --from=build /src/dist ./dist
COPY package.json LICENSE ./
COPY deploy/crds ./deploy/crds
# 65532 is the conventional "nonroot" uid (distroless); numeric so that Kubernetes' runAsNonRoot
# can verify it without a passwd entry.
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["node", "--max-semi-space-size=1", "--liftoff-only", "dist/main.js"]
