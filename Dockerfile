# Mirador in a container: one process serving API, websockets and UI on :8080.
# The base image is an argument so air-gapped labs can point it at their own mirror.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
RUN npm install -g pnpm@12.4.2
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY apps/server/package.json apps/server/
COPY apps/web/package.json apps/web/
COPY packages/argv/package.json packages/argv/
COPY packages/contract/package.json packages/contract/
COPY packages/ssh/package.json packages/ssh/
COPY packages/libvirt/package.json packages/libvirt/
COPY packages/docker/package.json packages/docker/
COPY e2e/package.json e2e/
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter @mirador/server db:generate \
 && pnpm --filter @mirador/web build \
 && pnpm --filter @mirador/server build \
 && pnpm --filter @mirador/server deploy --prod --legacy /out \
 && cp -r apps/server/dist /out/dist \
 && mkdir -p /out/web /out/prisma && cp -r apps/web/build/. /out/web/ && cp -r prisma/migrations /out/prisma/

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    MIRADOR_HOST=0.0.0.0 \
    MIRADOR_PORT=8080 \
    MIRADOR_DATA_DIR=/data \
    MIRADOR_WEB_DIR=/app/web \
    MIRADOR_MIGRATIONS_DIR=/app/prisma/migrations
WORKDIR /app
COPY --from=build /out /app
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.MIRADOR_PORT||8080)+'/api/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The flags of scripts/start.sh (why: there).
CMD ["node", "--max-semi-space-size=4", "dist/server.js"]
