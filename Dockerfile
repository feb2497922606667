# One image for all six daemons; the command picks the daemon and its config:
#   docker run --rm pizza-pipeline sauce-service -c /etc/pizza/sauce.ini
# Settings come from the environment (KAFKA_BOOTSTRAP_SERVERS, KAFKA_<PROPERTY>,
# HTTP_PORT, LOG_LEVEL, PROCESSING_GUARANTEE, PIZZA_<SECTION>_<KEY>; see README).
#
# bookworm is the release the project builds and tests against (jansson 2.14,
# libmicrohttpd 0.9.75, inih 55). The daemons link the librdkafka the tests run:
# Debian's 2.0.2 source with upstream's fix of rdk:main's busy loop backported
# (third_party/librdkafka; README, "librdkafka"), built static by
# scripts/librdkafka.sh. For byte-reproducible images pass a dated tag:
# --build-arg DEBIAN_TAG=bookworm-YYYYMMDD-slim.
ARG DEBIAN_TAG=bookworm-slim

FROM debian:${DEBIAN_TAG} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        build-essential cmake pkg-config \
        librdkafka-dev libjansson-dev libmicrohttpd-dev libinih-dev \
        dpkg-dev patch debian-archive-keyring \
        zlib1g-dev libssl-dev libsasl2-dev libzstd-dev liblz4-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# librdkafka's source package first (apt-get source, into .deps/): its layer
# stays cached across edits of the code.
COPY scripts/librdkafka.sh scripts/
RUN bash scripts/librdkafka.sh fetch
# Only what the daemons are built from, so an edit to tests/ or README reuses the
# cached build.
COPY CMakeLists.txt ./
COPY cmake/ cmake/
COPY third_party/ third_party/
COPY common/ common/
COPY services/ services/
# the page pizza-service embeds (services/pizza/CMakeLists.txt)
COPY web/ web/
# No dev broker (its own patched librdkafka), tests or benchmarks.
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPIZZA_RDKAFKA=patched \
        -DPIZZA_DEVBROKER=OFF -DPIZZA_BENCH=OFF -DBUILD_TESTING=OFF \
 && cmake --build build -j"$(nproc)"

FROM debian:${DEBIAN_TAG}
# The runtime packages (deploy/image/runtime-packages), user pizza (uid 10001)
# and /opt/pizza: deploy/image/setup-runtime.sh, which tests/e2e/image_rootfs.sh
# also runs, with every other line of this stage, in a debootstrapped root.
COPY deploy/image/runtime-packages deploy/image/setup-runtime.sh /tmp/pizza-image/
RUN bash /tmp/pizza-image/setup-runtime.sh && rm -rf /tmp/pizza-image
COPY --from=build /src/build/bin/pizza-service /src/build/bin/sauce-service \
     /src/build/bin/cheese-service /src/build/bin/meat-service \
     /src/build/bin/veggie-service /src/build/bin/cheese-reporter /usr/local/bin/
COPY config/*.ini /etc/pizza/
WORKDIR /opt/pizza
USER pizza
# pizza-service, cheese-reporter, then sauce, cheese, meat, veggie stages
EXPOSE 5000 5001 5002 5003 5004 5005
CMD ["pizza-service", "-c", "/etc/pizza/pizza.ini"]
