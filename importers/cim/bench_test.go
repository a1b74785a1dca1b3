package cim

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"testing"
)

// writeSyntheticCityGML writes n LoD2 box buildings (ground, four walls, roof) as CityGML 2.0.
func writeSyntheticCityGML(w io.Writer, n int) error {
	if _, err := io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>
<CityModel xmlns="http://www.opengis.net/citygml/2.0" xmlns:gml="http://www.opengis.net/gml" xmlns:bldg="http://www.opengis.net/citygml/building/2.0">
<gml:boundedBy><gml:Envelope srsName="EPSG:4528" srsDimension="3"><gml:lowerCorner>0 0 0</gml:lowerCorner><gml:upperCorner>1 1 1</gml:upperCorner></gml:Envelope></gml:boundedBy>
`); err != nil {
		return err
	}
	for i := range n {
		x, y := 40494000.0+float64(i%1000)*20, 4115000.0+float64(i/1000)*20
		z0, z1 := 5.0, 5.0+float64(3+i%30)
		fmt.Fprintf(w, `<cityObjectMember><bldg:Building gml:id="B%d"><bldg:measuredHeight uom="m">%g</bldg:measuredHeight>`, i, z1-z0)
		face := func(kind string, pts [][3]float64) {
			fmt.Fprintf(w, `<bldg:boundedBy><bldg:%s><bldg:lod2MultiSurface><gml:MultiSurface><gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>`, kind)
			for _, p := range append(pts, pts[0]) {
				fmt.Fprintf(w, "%.3f %.3f %.3f ", p[0], p[1], p[2])
			}
			fmt.Fprintf(w, `</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember></gml:MultiSurface></bldg:lod2MultiSurface></bldg:%s></bldg:boundedBy>`, kind)
		}
		a, b, c, d := [2]float64{x, y}, [2]float64{x + 12, y}, [2]float64{x + 12, y + 10}, [2]float64{x, y + 10}
		face("GroundSurface", [][3]float64{{a[0], a[1], z0}, {d[0], d[1], z0}, {c[0], c[1], z0}, {b[0], b[1], z0}})
		for _, e := range [][2][2]float64{{a, b}, {b, c}, {c, d}, {d, a}} {
			face("WallSurface", [][3]float64{{e[0][0], e[0][1], z0}, {e[1][0], e[1][1], z0}, {e[1][0], e[1][1], z1}, {e[0][0], e[0][1], z1}})
		}
		face("RoofSurface", [][3]float64{{a[0], a[1], z1}, {b[0], b[1], z1}, {c[0], c[1], z1}, {d[0], d[1], z1}})
		io.WriteString(w, "</bldg:Building></cityObjectMember>\n")
	}
	_, err := io.WriteString(w, "</CityModel>\n")
	return err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamBench pipes a synthetic file of n objects (never on disk) into read, which calls seen once per
// object, and reports the throughput and the largest live heap, sampled every 5,000 objects.
func streamBench(b *testing.B, n int, write func(io.Writer, int) error, read func(r io.Reader, seen func()) error) {
	var peak uint64
	var size int64
	for b.Loop() {
		pr, pw := io.Pipe()
		go func() {
			bw := bufio.NewWriterSize(pw, 1<<16)
			err := write(bw, n)
			if err == nil {
				err = bw.Flush()
			}
			pw.CloseWithError(err)
		}()
		cr := &countingReader{r: pr}
		objects := 0
		var ms runtime.MemStats
		err := read(cr, func() {
			objects++
			if objects%5000 == 0 {
				runtime.GC()
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
			}
		})
		if err != nil {
			b.Fatal(err)
		}
		if objects != n {
			b.Fatalf("%d objects, want %d", objects, n)
		}
		size = cr.n
	}
	b.SetBytes(size)
	b.ReportMetric(float64(peak)/(1<<20), "MB-heap-peak")
	b.ReportMetric(float64(size)/(1<<20), "MB-file")
}

// BenchmarkCityGMLStream parses a synthetic CityGML of 50,000 LoD2 buildings (about 140 MB) piped in,
// never on disk, and reports the throughput and the largest live heap while parsing: the reader
// holds one city object at a time, so the heap stays flat whatever the file's size.
func BenchmarkCityGMLStream(b *testing.B) {
	streamBench(b, 50_000, writeSyntheticCityGML, func(r io.Reader, seen func()) error {
		_, err := readCityGML("synthetic.gml", r, Options{}, func(*cityObject) error { seen(); return nil },
			func(line int, f, r string) { b.Fatalf("line %d %s: %s", line, f, r) })
		return err
	})
}

// writeSyntheticCityJSONSeq writes n LoD2 box buildings as a CityJSONSeq: a header line, then one
// CityJSONFeature per building with its own eight vertices (millimetres, with the header's transform).
func writeSyntheticCityJSONSeq(w io.Writer, n int) error {
	if _, err := io.WriteString(w, `{"type":"CityJSON","version":"2.0","transform":{"scale":[0.001,0.001,0.001],"translate":[40494000,4115000,0]},"metadata":{"referenceSystem":"https://www.opengis.net/def/crs/EPSG/0/4528"},"CityObjects":{},"vertices":[]}`+"\n"); err != nil {
		return err
	}
	for i := range n {
		x, y, h := (i%1000)*20000, (i/1000)*20000, 5000+(3+i%30)*1000
		fmt.Fprintf(w, `{"type":"CityJSONFeature","id":"B%d","CityObjects":{"B%d":{"type":"Building","attributes":{"measuredHeight":%d},`+
			`"geometry":[{"type":"Solid","lod":"2","boundaries":[[[[3,2,1,0]],[[4,5,6,7]],[[0,1,5,4]],[[1,2,6,5]],[[2,3,7,6]],[[3,0,4,7]]]],`+
			`"semantics":{"surfaces":[{"type":"GroundSurface"},{"type":"RoofSurface"},{"type":"WallSurface"}],"values":[[0,1,2,2,2,2]]}}]}},`+
			`"vertices":[[%d,%d,5000],[%d,%d,5000],[%d,%d,5000],[%d,%d,5000],[%d,%d,%d],[%d,%d,%d],[%d,%d,%d],[%d,%d,%d]]}`+"\n",
			i, i, h/1000-5, x, y, x+12000, y, x+12000, y+10000, x, y+10000, x, y, h, x+12000, y, h, x+12000, y+10000, h, x, y+10000, h)
	}
	return nil
}

// BenchmarkCityJSONSeqStream reads a synthetic CityJSONSeq of 50,000 LoD2 buildings (about 27 MB)
// piped in, interpreting every feature's geometry, and reports the throughput and the largest live
// heap: one feature is decoded at a time, so the heap stays flat whatever the file's size.
func BenchmarkCityJSONSeqStream(b *testing.B) {
	streamBench(b, 50_000, writeSyntheticCityJSONSeq, func(r io.Reader, seen func()) error {
		degenerate := 0
		return readCityJSON("synthetic.city.jsonl", r, func(w string) { b.Fatal(w) }, func(doc *cjFile, line int) error {
			for id, co := range doc.CityObjects {
				o := &cityObject{id: id, class: co.Type, lod: 2, attrs: map[string]any{}}
				vert := func(i int) ([3]float64, error) {
					v := doc.Vertices[i]
					return [3]float64{v[0]*0.001 + 40494000, v[1]*0.001 + 4115000, v[2] * 0.001}, nil
				}
				if err := cjGeometryInto(o, &co.Geometry[0], doc, vert, nil, Options{}, &degenerate); err != nil {
					return fmt.Errorf("line %d: %v", line, err)
				}
				if len(o.surfaces) != 3 {
					return fmt.Errorf("line %d: %d surfaces", line, len(o.surfaces))
				}
				seen()
			}
			return nil
		})
	})
}
