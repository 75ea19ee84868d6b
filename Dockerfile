# One image for the API, the worker and the gateway (the command picks which): the compiled JavaScript of `pnpm build` and the
# production dependencies only. No TypeScript loader at run time.
FROM node:24-bookworm-slim AS build
RUN npm install -g pnpm@10
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile && pnpm build \
 && find . -name node_modules -prune -exec rm -rf {} + \
 && CI=true pnpm install --prod --frozen-lockfile --filter '!@leash/test' \
 && rm -rf test

FROM node:24-bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app /app
ENV HOST=0.0.0.0 PORT=8080 NODE_ENV=production
USER node
EXPOSE 8080 8081
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/api/dist/main.js"]
