# syntax=docker/dockerfile:1
#
# One image, two roles (pick with the command):
#   API:    docker run parley node dist/api/main.js      (the default CMD)
#   worker: docker run parley node dist/worker/main.js
#
# Debian (glibc) rather than alpine: the Temporal worker's native core bridge ships glibc builds.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: full install (TypeScript is a devDependency), compile to dist/ -------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The typed client is an npm workspace of the root (client/): `npm ci` needs its package.json.
COPY client/package.json client/
# `npm ci` installs exactly the lockfile. If npm refuses the lockfile as out of sync with package.json
# (e.g. a lock written against a registry mirror that lacks other platforms' optional packages), say so
# loudly and fall back to `npm install`, which keeps every locked version and only fills the gaps.
RUN npm ci --no-audit --no-fund \
 || { echo "WARNING: npm ci refused package-lock.json; falling back to npm install (regenerate the lock)" >&2; \
      npm install --no-audit --no-fund; }
COPY . .
# tsc -p tsconfig.build.json: emits dist/{api,worker,workflows,activities,models,core,scripts}
RUN npm run build \
 && test -f dist/api/main.js \
 && test -f dist/worker/main.js \
 && test -f dist/api/widget/widget.js \
 && test -f dist/api/inbox-page/inbox.js \
 && test -f dist/workflows/index.js
# Drop devDependencies; what is left is exactly the runtime dependency tree of the lockfile. GET /docs
# serves Scalar's browser bundle from it at run time (api/routes/docs.ts), so it must still be there.
RUN npm prune --omit=dev --no-audit --no-fund \
 && test -f node_modules/@scalar/api-reference/dist/browser/standalone.js

# ---- runtime: production dependencies and compiled JavaScript only -------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# In a container the network namespace is the boundary, and a server bound to loopback could not be
# reached through a published port or a compose network: the API (HOST) and the worker's metrics
# (METRICS_HOST) listen on every interface of the container, whatever the code's defaults for a bare machine.
ENV HOST=0.0.0.0 \
    METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json /app/package-lock.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
# The worker bundles workflow code at start from dist/workflows (require.resolve('../workflows')
# relative to dist/worker), so the whole dist/ tree ships, workflows included.
COPY --from=build --chown=node:node /app/dist ./dist
# The official node image's unprivileged user (uid 1000).
USER node
EXPOSE 3000
CMD ["node", "dist/api/main.js"]
