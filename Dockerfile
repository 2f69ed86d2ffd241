# tracecompactor's container image, used like Tempo's:
#   docker build -t tracecompactor .
#   docker run -p 3200:3200 -v $PWD/tempo.yaml:/etc/tempo.yaml tracecompactor -config.file=/etc/tempo.yaml
# With no arguments it serves a local bucket in the /var/tempo volume with
# the example config. Every step below is one the test suite runs on its own
# (tests/deploy/test_dockerfile.sh, README "Container image"): the packages
# come from scripts/packages through scripts/install-deps.sh, the build is
# the Makefile's `make compile` and `make install`.

FROM debian:bookworm AS build
WORKDIR /src
# The package lists first, so the layer of installed packages survives
# source changes.
COPY scripts/packages scripts/install-deps.sh scripts/
RUN scripts/install-deps.sh --only build && rm -rf /var/lib/apt/lists/*
COPY . .
RUN make compile BUILD=/build JOBS="$(nproc)" && \
    make install BUILD=/build DESTDIR=/out PREFIX=/usr/local STRIP=1

FROM debian:bookworm-slim
# Only the runtime libraries (scripts/packages, group runtime).
COPY scripts/packages scripts/install-deps.sh /tmp/deps/
RUN /tmp/deps/install-deps.sh --only runtime && rm -rf /var/lib/apt/lists/* /tmp/deps
COPY --from=build /out/usr/local/bin/tracecompactor /usr/local/bin/tracecompactor
COPY --from=build /out/etc/tracecompactor/ /etc/tracecompactor/
# A fixed uid and gid, so a bucket volume's ownership is predictable and
# runAsNonRoot can check them.
RUN groupadd --system --gid 10001 tracecompactor && \
    useradd --system --uid 10001 --gid 10001 --home-dir /var/tempo --no-create-home \
      --shell /usr/sbin/nologin tracecompactor && \
    mkdir -p /var/tempo && chown 10001:10001 /var/tempo
USER 10001:10001
# Relative paths in a config (the example's ./data) are relative to here.
WORKDIR /var/tempo
VOLUME ["/var/tempo"]
EXPOSE 3200
# /ready answers 200 once the service runs (and, with a ring, is ACTIVE in
# it). The image has no curl: bash's /dev/tcp sends the request.
# TC_HEALTH_PORT: set it when server.http_listen_port is not 3200.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/${TC_HEALTH_PORT:-3200} && printf 'GET /ready HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && read -r -t 4 _ code _ <&3 && [ \"$code\" = 200 ]"]
ENTRYPOINT ["tracecompactor"]
CMD ["-config.file=/etc/tracecompactor/tracecompactor.yaml", "-storage.trace.local.path=/var/tempo/traces"]
