// Real clients for the tiles tests:
//   node check.mjs style FILE   validates a style with MapLibre's style-spec validator; prints the errors as JSON
//   node check.mjs tile FILE    decodes an MVT with @mapbox/vector-tile; prints layers, ids, properties, GeoJSON types
import {readFileSync} from 'node:fs';
import {validateStyleMin} from '@maplibre/maplibre-gl-style-spec';
import {VectorTile} from '@mapbox/vector-tile';
import Pbf from 'pbf';

const [mode, file] = process.argv.slice(2);
if (mode === 'style') {
    const errors = validateStyleMin(JSON.parse(readFileSync(file, 'utf8')));
    console.log(JSON.stringify(errors.map(e => e.message)));
} else if (mode === 'tile') {
    // A copy: pbf reads floats through a DataView of the whole ArrayBuffer, and a Node Buffer is a slice of a shared one.
    const tile = new VectorTile(new Pbf(new Uint8Array(readFileSync(file))));
    const out = {};
    for (const [name, layer] of Object.entries(tile.layers)) {
        const features = [];
        for (let i = 0; i < layer.length; i++) {
            const f = layer.feature(i);
            features.push({id: f.id, type: f.toGeoJSON(0, 0, 0).geometry.type, properties: f.properties});
        }
        out[name] = {extent: layer.extent, features};
    }
    console.log(JSON.stringify(out));
} else {
    console.error('usage: node check.mjs style|tile FILE');
    process.exit(2);
}
