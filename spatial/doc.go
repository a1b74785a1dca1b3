// Package spatial is Yitu's PostGIS store: the pgx pool, the layer catalog, feature queries, CQL2 → SQL
// and the CRS registry. It imports libraries only; every other domain package builds on it.
package spatial
