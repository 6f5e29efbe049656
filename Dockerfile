# Build: a static, pure-Go binary (SQLite is modernc.org/sqlite, no cgo).
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/imha ./server \
 && mkdir -p /out/data

# Run: Debian slim, because the kiosks' read-aloud needs espeak-ng (Debian's
# package; a static binary cannot carry its voices). No ffmpeg, to keep the
# image small: audio is then WAV rather than Opus. Not root. Content,
# locales, static files and kiosk/wards.yaml are inside the binary (set
# KIOSK_CONFIG to read a wards file instead); the embedded SQLite database
# lives in /data unless DATABASE_URL names a PostgreSQL database. BSL videos
# are not in the binary: mount a folder holding bsl.yaml and its files, and
# set MEDIA_DIR.
FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends espeak-ng ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/imha /imha
COPY --from=build --chown=65532:65532 /out/data /data
ENV PORT=8080 DATA_DIR=/data
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=3s CMD ["/imha", "healthcheck"]
ENTRYPOINT ["/imha"]
CMD ["serve"]
