# Yitu, built in two stages. The viewer (frontend/) is built by `make build` when it exists.
FROM golang:1.26-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=docker
RUN make build VERSION=${VERSION} BIN=/out/yitu

FROM debian:bookworm-slim
# gdal-bin: the importers read Shapefile and GeoPackage through GDAL.
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/yitu yitu
COPY --from=build /out/yitu /usr/local/bin/yitu
USER yitu
WORKDIR /var/lib/yitu
EXPOSE 8080
ENTRYPOINT ["yitu"]
CMD ["serve"]
