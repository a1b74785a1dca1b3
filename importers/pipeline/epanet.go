package pipeline

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/twpayne/go-geom"

	"github.com/yitu-gis/yitu/importers/loader"
)

// EPANET is an EPANET .inp network, imported as a water supply network (JS): junctions, reservoirs
// and tanks become pipe points, pipes, pumps and valves segments. EPANET coordinates are those of
// the drawing, usually schematic, so the import needs --srs: an EPSG code when the drawing is in
// real coordinates, or a local grid (local:grid.yaml, 4-parameter) that places it on the map.
// US units (CFS, GPM, MGD, IMGD, AFD) convert from feet and inches.
type EPANET struct{}

func (EPANET) Name() string              { return "epanet" }
func (EPANET) Kind(loader.Source) string { return "pipeline" }

// Sniff recognises the section headers of an .inp file.
func (EPANET) Sniff(_ string, head []byte) bool {
	n := 0
	for _, s := range []string{"[JUNCTIONS]", "[PIPES]", "[TITLE]", "[RESERVOIRS]", "[COORDINATES]"} {
		if bytes.Contains(bytes.ToUpper(head), []byte(s)) {
			n++
		}
	}
	return n >= 2
}

// Network is a parsed .inp file.
type Network struct {
	Units  string // flow units: GPM (US) … LPS (SI)
	Nodes  []Node
	Links  []Link
	Coords map[string][2]float64
	Verts  map[string][][2]float64
}

// Node is a junction, reservoir or tank.
type Node struct {
	ID, Kind string  // junction, reservoir, tank
	Elev     float64 // elevation (junction, tank) or total head (reservoir), in the file's units
	Line     int
}

// Link is a pipe, pump or valve.
type Link struct {
	ID, Kind, From, To string
	Length, Diameter   float64 // file units (ft/in or m/mm); 0 when the link has none
	Roughness          float64
	Status, ValveType  string
	Line               int
}

// ParseINP parses the sections of an .inp file that describe the network's layout.
func ParseINP(b []byte) (*Network, error) {
	n := &Network{Units: "GPM", Coords: map[string][2]float64{}, Verts: map[string][][2]float64{}}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, ';'); i >= 0 {
			text = text[:i]
		}
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if strings.HasPrefix(text, "[") {
			section = strings.ToUpper(strings.Trim(strings.Fields(text)[0], "[]"))
			continue
		}
		f := strings.Fields(text)
		bad := func(what string) error { return fmt.Errorf("line %d [%s]: %s: %q", line, section, what, text) }
		float := func(i int) (float64, error) {
			if i >= len(f) {
				return 0, bad(fmt.Sprintf("missing field %d", i+1))
			}
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return 0, bad(fmt.Sprintf("field %d is not a number", i+1))
			}
			return v, nil
		}
		switch section {
		case "JUNCTIONS", "RESERVOIRS", "TANKS":
			v, err := float(1)
			if err != nil {
				return nil, err
			}
			kind := map[string]string{"JUNCTIONS": "junction", "RESERVOIRS": "reservoir", "TANKS": "tank"}[section]
			n.Nodes = append(n.Nodes, Node{ID: f[0], Kind: kind, Elev: v, Line: line})
		case "PIPES":
			if len(f) < 5 {
				return nil, bad("a pipe needs ID, Node1, Node2, Length, Diameter")
			}
			l := Link{ID: f[0], Kind: "pipe", From: f[1], To: f[2], Line: line}
			var err error
			if l.Length, err = float(3); err != nil {
				return nil, err
			}
			if l.Diameter, err = float(4); err != nil {
				return nil, err
			}
			if len(f) > 5 {
				l.Roughness, _ = strconv.ParseFloat(f[5], 64)
			}
			if len(f) > 7 {
				l.Status = f[7]
			}
			n.Links = append(n.Links, l)
		case "PUMPS", "VALVES":
			if len(f) < 3 {
				return nil, bad("a link needs ID, Node1, Node2")
			}
			l := Link{ID: f[0], Kind: strings.ToLower(strings.TrimSuffix(section, "S")), From: f[1], To: f[2], Line: line}
			if section == "VALVES" {
				d, err := float(3)
				if err != nil {
					return nil, err
				}
				l.Diameter = d
				if len(f) > 4 {
					l.ValveType = f[4]
				}
			}
			n.Links = append(n.Links, l)
		case "COORDINATES", "VERTICES":
			x, err := float(1)
			if err != nil {
				return nil, err
			}
			y, err := float(2)
			if err != nil {
				return nil, err
			}
			if section == "COORDINATES" {
				n.Coords[f[0]] = [2]float64{x, y}
			} else {
				n.Verts[f[0]] = append(n.Verts[f[0]], [2]float64{x, y})
			}
		case "OPTIONS":
			if strings.EqualFold(f[0], "UNITS") && len(f) > 1 {
				n.Units = strings.ToUpper(f[1])
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(n.Nodes) == 0 && len(n.Links) == 0 {
		return nil, fmt.Errorf("no [JUNCTIONS], [RESERVOIRS], [TANKS] or [PIPES]: not an EPANET network")
	}
	return n, nil
}

// US reports whether the network is in US customary units (feet, inches).
func (n *Network) US() bool {
	switch n.Units {
	case "CFS", "GPM", "MGD", "IMGD", "AFD":
		return true
	}
	return false
}

var epanetKind = map[string]string{"junction": "节点", "reservoir": "水源", "tank": "水池", "pipe": "管道", "pump": "水泵", "valve": "阀门"}

func (EPANET) Import(ctx context.Context, b *loader.Batch, src loader.Source) error {
	data, err := os.ReadFile(src.Path)
	if err != nil {
		return err
	}
	n, err := ParseINP(data)
	if err != nil {
		return fmt.Errorf("%s %w", src.Path, err)
	}
	if src.CRS == nil {
		minX, minY, maxX, maxY := bounds(n.Coords)
		return fmt.Errorf("%s: EPANET coordinates are those of the drawing (here x %.3f … %.3f, y %.3f … %.3f), usually schematic, and carry no CRS. "+
			"Give --srs: an EPSG code if the drawing is in real coordinates, or --srs local:grid.yaml with a 4-parameter "+
			"transformation (dx, dy, rotation, scale into EPSG:4528, say) that places it on the map", src.Path, minX, maxX, minY, maxY)
	}
	b.SetSourceCRS(src.CRS.Code())
	c := src.CRS
	if len(n.Coords) > 0 {
		minX, minY, maxX, maxY := bounds(n.Coords)
		for _, vs := range n.Verts { // link vertices may lie beyond the nodes
			for _, v := range vs {
				minX, minY, maxX, maxY = min(minX, v[0]), min(minY, v[1]), max(maxX, v[0]), max(maxY, v[1])
			}
		}
		var err error
		if c, err = b.BindCRS(ctx, c, [4]float64{minX, minY, maxX, maxY}); err != nil {
			return fmt.Errorf("%s: %w", src.Path, err)
		}
	}
	length, diam := 1.0, 1.0 // to metres, to millimetres
	if n.US() {
		length, diam = 0.3048, 25.4
	}
	pw := b.Table("point", pointTable, pointColumns)
	placed := map[string][3]float64{}
	for _, nd := range n.Nodes {
		xy, ok := n.Coords[nd.ID]
		if !ok {
			b.Reject(loader.Rejection{File: src.Path, Line: nd.Line, Feature: nd.ID, Class: "point", Reason: "node has no [COORDINATES]"})
			continue
		}
		lon, lat := c.ToLonLat(xy[0], xy[1])
		z := nd.Elev * length
		props, _ := json.Marshal(map[string]any{"epanet_id": nd.ID, "epanet_type": nd.Kind})
		err := pw.Add(nd.ID, "JS", epanetKind[nd.Kind], appendage(nd.Kind), xy[0], xy[1], z, nil, nil, nil, nil, nil, props,
			pointEWKB(lon, lat, z))
		if ge, ok := err.(*loader.GeometryError); ok {
			b.Reject(loader.Rejection{File: src.Path, Line: nd.Line, Feature: nd.ID, Class: "point", Reason: ge.Err.Error()})
			continue
		} else if err != nil {
			return err
		}
		placed[nd.ID] = [3]float64{lon, lat, z}
	}
	sw := b.Table("segment", segmentTable, segmentColumns)
	for _, l := range n.Links {
		from, okf := placed[l.From]
		to, okt := placed[l.To]
		if !okf || !okt {
			missing := l.From
			if okf {
				missing = l.To
			}
			b.Reject(loader.Rejection{File: src.Path, Line: l.Line, Feature: l.ID, Class: "segment",
				Reason: fmt.Sprintf("%s %s joins node %s, which is not in the network (or was rejected)", l.Kind, l.ID, missing)})
			continue
		}
		flat := []float64{from[0], from[1], from[2]}
		for _, v := range n.Verts[l.ID] {
			lon, lat := c.ToLonLat(v[0], v[1])
			flat = append(flat, lon, lat, from[2])
		}
		flat = append(flat, to[0], to[1], to[2])
		if metres(from[0], from[1], to[0], to[1]) < minLength && len(n.Verts[l.ID]) == 0 {
			b.Reject(loader.Rejection{File: src.Path, Line: l.Line, Feature: l.ID, Class: "segment", Reason: "zero-length link: both nodes at the same position"})
			continue
		}
		g, err := loader.EWKB(geom.NewLineStringFlat(geom.XYZ, flat))
		if err != nil {
			return err
		}
		var d any
		if l.Diameter > 0 {
			d = l.Diameter * diam
		}
		props, _ := json.Marshal(map[string]any{"epanet_id": l.ID, "epanet_type": l.Kind, "length_m": l.Length * length,
			"roughness": l.Roughness, "status": l.Status, "valve_type": l.ValveType})
		err = sw.Add("JS", l.From, l.To, nil, nil, nil, nil, d, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, nil, props, g)
		if ge, ok := err.(*loader.GeometryError); ok {
			b.Reject(loader.Rejection{File: src.Path, Line: l.Line, Feature: l.ID, Class: "segment", Reason: ge.Err.Error()})
		} else if err != nil {
			return err
		}
	}
	return nil
}

func appendage(kind string) any {
	switch kind {
	case "reservoir":
		return "水源"
	case "tank":
		return "水池"
	}
	return nil
}

func bounds(c map[string][2]float64) (minX, minY, maxX, maxY float64) {
	first := true
	for _, p := range c {
		if first {
			minX, minY, maxX, maxY = p[0], p[1], p[0], p[1]
			first = false
			continue
		}
		minX, minY, maxX, maxY = min(minX, p[0]), min(minY, p[1]), max(maxX, p[0]), max(maxY, p[1])
	}
	return
}
