# The image every OrderHub service of compose.yaml runs: dependencies installed and the
# TypeScript compiled once, when the image is built (`docker compose build`), never
# while services run. A new release is a new image; `docker compose up -d` alone reuses
# the one built.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
# The whole built tree: dist/ reads files next to it at run time (schema/, the subgraphs' SDL).
COPY --from=build --chown=node:node /app /app
USER node
