# syntax=docker/dockerfile:1
# A wasmcloud-ts host: `node host/main.ts`, the host `wash up` starts, without NATS; the same
# image runs the application controller with the entrypoint `tini -- node controller/main.ts`.
# Every setting comes from the environment under its 2022 name (WASMCLOUD_*, HOST_* labels;
# docs/host.md).
# NATS is not in the image (docker-compose.yml and the Helm chart run the official nats image
# beside it), and neither are provider archives or actors: hosts pull them from an OCI registry.
#
#   docker build -t wasmcloud-ts-host:0.1.0 .
#   docker run -e WASMCLOUD_RPC_HOST=nats.example -p 4000:4000 wasmcloud-ts-host:0.1.0

FROM node:24-bookworm-slim AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --ignore-scripts skips the project's postinstall, which installs
# the development machine's Debian packages (nats-server, chromium, Go, …) that a host never uses.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM node:24-bookworm-slim
# tini as PID 1 reaps the processes providers leave behind and passes SIGTERM on to the host,
# which then stops its actors and providers cleanly. setpriv (util-linux, always in Debian) lets
# the host tie each provider's life to its own. libjemalloc2: the host runs on jemalloc, which hands
# memory freed after a burst back to the kernel (host/memory-settings.ts; docs/host.md, "Memory").
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini libjemalloc2 \
  && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production \
    WASMCLOUD_DASHBOARD_HOST=0.0.0.0 \
    WASMCLOUD_DASHBOARD_PORT=4000 \
    WASMCLOUD_ARTIFACT_CACHE_DIR=/tmp/wasmcloud-ts/artifacts
WORKDIR /app
# The code belongs to root and is only readable by the host's user; the host writes nothing but
# its provider cache and its artifact cache (WASMCLOUD_ARTIFACT_CACHE_DIR) under /tmp: the root
# file system may be read-only, and a pod's /tmp volume outlives a restart of the container.
COPY --from=dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY lattice ./lattice
COPY host ./host
COPY dashboard ./dashboard
# The application controller runs from the same image (docker-compose.yml's wadm service, the
# chart's wadm container): `node controller/main.ts` instead of the host.
COPY controller ./controller
USER node
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.WASMCLOUD_DASHBOARD_PORT || 4000}/api/livez`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["/usr/bin/tini", "--", "node", "host/main.ts"]
