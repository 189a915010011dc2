# The mountbench agent for engines that cannot run the host's binary (Docker Desktop,
# OrbStack, Colima, Rancher Desktop on macOS/Windows, or another CPU architecture).
# mountbench builds this automatically from the checkout (legacy builder is enough); the
# engine needs the rust image from a registry it can reach.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN RUSTFLAGS="-C target-feature=+crt-static" \
    cargo build --release --locked --bin mountbench \
      --target "$(rustc -vV | sed -n 's/^host: //p')" \
 && for d in mb mb-prep mb-backup tmp mb-data mb-data-prep \
      mb-data/0 mb-data/1 mb-data/2 mb-data/3 mb-data/4 mb-data/5 mb-data/6 mb-data/7 \
      mb-data-prep/0 mb-data-prep/1 mb-data-prep/2 mb-data-prep/3 \
      mb-data-prep/4 mb-data-prep/5 mb-data-prep/6 mb-data-prep/7; do \
      mkdir -p "/out/$d" && chmod 1777 "/out/$d"; done \
 && cp target/*/release/mountbench /out/mountbench

FROM scratch
COPY --from=build /out/ /
LABEL io.mountbench=agent
CMD ["/mountbench", "agent", "idle"]
