# syntax=docker/dockerfile:1
# Build: compile TypeScript with the full dependency tree.
# node:24-bookworm-slim (Node 24.18, LTS); the digest pins the exact image, the tag says what it is.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The service alone: dist/ holds no simulator or demo code.
RUN npm run build:service

# The Gooten simulator's build: its own project, beside the service's.
FROM build AS simulator-build
COPY tsconfig.simulator.json ./
RUN npx tsc -p tsconfig.simulator.json

# Simulator: the Gooten simulator alone (node: modules only, so no dependencies), for the compose
# overlay and local trials; `docker build --target simulator .`. Never deployed with the service.
# node:24-bookworm-slim, the same image as the build stage.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS simulator
ENV NODE_ENV=production \
    SIM_HOST=0.0.0.0 \
    SIM_PORT=4010
WORKDIR /app
# package.json says the compiled files are ES modules.
COPY package.json ./
COPY --from=simulator-build /app/dist/simulator ./dist/simulator
USER node
EXPOSE 4010
CMD ["node", "dist/simulator/main.js"]

# Runtime (the last stage, so a plain `docker build .` makes it): production dependencies and compiled code only, as the unprivileged node user.
# node:24-bookworm-slim, the same image as the build stage.
FROM node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
USER node
EXPOSE 3000
# Node's own fetch: the slim image has no curl or wget.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# Exec form: node is PID 1's child under `init: true` (compose) or tini, and receives SIGTERM directly.
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=96", "dist/server.js"]
