# The image `perf-scenarios k8s` runs in its pods: the release binary (with the
# scenarios of scenarios/ and the plugins of plugins/ compiled in) and sh for the pods'
# scripts; Debian's Chromium and chromedriver for browser users only when asked.
#
#   docker build -t registry.example/perf-scenarios:1 .
#   docker build --build-arg CHROMIUM=1 -t registry.example/perf-scenarios:1-browser .
#
# Scenario files are compiled in: rebuild the image after changing them.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p perf-scenarios \
 && cp target/release/perf-scenarios /perf-scenarios

FROM debian:bookworm-slim
ARG CHROMIUM=0
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && if [ "$CHROMIUM" = 1 ]; then apt-get install -y --no-install-recommends chromium chromium-driver; fi \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --uid 10001 --create-home perf
COPY --from=build /perf-scenarios /usr/local/bin/perf-scenarios
# The manifest's pods run as this user with fsGroup 10001 on the results volume.
USER 10001
WORKDIR /home/perf
CMD ["perf-scenarios", "--help"]
