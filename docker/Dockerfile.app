# The example applications (examples/apps) on a Node.js base image. Here the base is the local
# vnf-lcm/node:<version> that scripts/images.mjs makes (no registry needed); elsewhere any
# Node.js 20 image: docker build --build-arg BASE=node:20-slim -f docker/Dockerfile.app examples
# The vnf-agent is not in it: the docker VIM driver mounts it read-only at run time (ADR 15).
ARG BASE=node:20-slim
FROM ${BASE}
COPY apps/ /srv/examples/apps/
WORKDIR /srv/examples/apps
# never root; the driver runs every host as an unprivileged user anyway
USER 65534:65534
CMD ["node", "backend.mjs"]
