# Build a static binary, then run it as non-root on a distroless image.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cadrebot ./cmd/cadrebot

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/cadrebot /cadrebot
USER nonroot:nonroot
EXPOSE 8080
ENV CADREBOT_HTTP_ADDR=:8080 CADREBOT_LOG_FORMAT=json
# distroless has no shell or curl: the binary checks its own /healthz.
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s CMD ["/cadrebot", "healthcheck"]
ENTRYPOINT ["/cadrebot"]
