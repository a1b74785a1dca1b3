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
# gdal-bin: the importers read Shapefile and GeoPackage through GDAL; proj-bin: projinfo chooses
# the datum transformation of a CRS outside Yitu's registry (spatial/crs); fonts-noto-cjk: the glyphs
# of the styles' Chinese labels (tiles.font_dir).
RUN apt-get update && apt-get install -y --no-install-recommends gdal-bin proj-bin fonts-noto-cjk ca-certificates \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/yitu yitu
COPY --from=build /out/yitu /usr/local/bin/yitu
USER yitu
WORKDIR /var/lib/yitu
EXPOSE 8080
ENTRYPOINT ["yitu"]
CMD ["serve"]
