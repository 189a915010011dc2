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
 && mkdir -p /out/mb /out/mb-prep /out/mb-backup /out/tmp \
 && chmod 1777 /out/mb /out/mb-prep /out/mb-backup /out/tmp \
 && cp target/*/release/mountbench /out/mountbench

FROM scratch
COPY --from=build /out/ /
LABEL io.mountbench=agent
CMD ["/mountbench", "agent", "idle"]
