# mqttlab broker image: the TypeScript sources run through tsx (no build step).
#   docker build -t mqttlab .
#   docker run -p 1883:1883 -v mqttlab-data:/data mqttlab
FROM node:22-slim

WORKDIR /app
ENV NODE_ENV=production

# Dependencies first (cached layer).
COPY package.json package-lock.json ./
COPY bin ./bin
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY cli ./cli
COPY core ./core
COPY runtime ./runtime
# The simulator and its scenarios, for seed sweeps (deploy/sweep/k8s-sweep-job.yaml).
COPY sim ./sim
COPY scenarios ./scenarios

# Data dir for standalone nodes (persistent sessions, retained messages); owned by the non-root user.
RUN mkdir -p /data && chown node:node /data
VOLUME /data
USER node

# MQTT, MQTT over WebSocket, cluster peers, admin HTTP API (/health, /metrics).
EXPOSE 1883 8083 4370 18083

# The admin API is on loopback by default; with a token set (MQTTLAB_ADMIN_TOKEN) the check sends it.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
  CMD ["node", "-e", "const t=process.env.MQTTLAB_ADMIN_TOKEN;fetch('http://127.0.0.1:18083/health',{headers:t?{authorization:'Bearer '+t}:{}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# SIGTERM: health 503, drain, DISCONNECT 0x8B, sessions handed to the peers, store flushed, exit 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/runtime.js"]
CMD ["start", "--data-dir", "/data", "--admin-port", "18083"]
