package twin

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// SVG draws the section as a 2D profile: strata filled in their colours, the ground line, the
// boreholes as columns of their layers with the hole number and depths, the pipes cut by the line
// with their type and depth, axes of distance and elevation (vertical exaggeration stated) and a
// legend, labelled in Chinese.
func (sec *Section) SVG() []byte {
	const W, H = 1200.0, 640.0
	const left, right, top, bottom = 70.0, 180.0, 50.0, 60.0
	pw, ph := W-left-right, H-top-bottom
	zmin, zmax := math.Inf(1), math.Inf(-1)
	ext := func(z float64) { zmin, zmax = min(zmin, z), max(zmax, z) }
	for _, st := range sec.Strata {
		for _, r := range st.Polygons {
			for _, p := range r {
				ext(p[1])
			}
		}
	}
	for _, b := range sec.Boreholes {
		ext(b.Collar)
		ext(b.Collar - b.Depth)
	}
	for _, p := range sec.Pipes {
		ext(p.Elevation)
		if p.Depth != nil {
			ext(p.Elevation + *p.Depth)
		}
	}
	if math.IsInf(zmin, 1) {
		zmin, zmax = -10, 10
	}
	pad := max((zmax-zmin)*0.05, 1)
	zmin, zmax = zmin-pad, zmax+pad
	sx := pw / sec.Length
	sy := ph / (zmax - zmin)
	X := func(d float64) float64 { return left + d*sx }
	Y := func(z float64) float64 { return top + (zmax-z)*sy }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif" font-size="12">`, W, H, W, H)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#ffffff"/>`)
	fmt.Fprintf(&b, `<text x="%.0f" y="24" font-size="16" font-weight="bold">地质剖面图　剖线长 %.1f 米　竖向放大 %.1f 倍</text>`, left, sec.Length, sy/sx)
	// Strata.
	for _, st := range sec.Strata {
		for _, r := range st.Polygons {
			var pts []string
			for _, p := range r {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", X(p[0]), Y(p[1])))
			}
			fmt.Fprintf(&b, `<polygon points="%s" fill="%s" stroke="#555" stroke-width="0.5"><title>%s %s</title></polygon>`,
				strings.Join(pts, " "), html.EscapeString(st.Color), html.EscapeString(st.Code), html.EscapeString(st.Name))
			// Label the stratum at its thickest sample.
			best, bi := 0.0, -1
			n := len(r) / 2
			for k := n / 8; k < n-n/8; k++ { // away from the ends
				if t := r[k][1] - r[len(r)-1-k][1]; t > best {
					best, bi = t, k
				}
			}
			if bi >= 0 && best*sy > 14 {
				fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#222">%s %s</text>`, X(r[bi][0]), Y((r[bi][1]+r[len(r)-1-bi][1])/2)+4,
					html.EscapeString(st.Code), html.EscapeString(st.Name))
			}
		}
	}
	// Ground.
	for _, g := range sec.Ground {
		var pts []string
		for _, p := range g {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", X(p[0]), Y(p[1])))
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="#2e7d32" stroke-width="2"/>`, strings.Join(pts, " "))
	}
	// Boreholes.
	for _, h := range sec.Boreholes {
		x := X(h.Distance)
		for _, l := range h.Layers {
			// A column 8 px wide along the hole's path (slanted where it is inclined).
			xt, xb := X(l.TopDistance), X(l.BottomDistance)
			yt, yb := Y(l.TopElev), max(Y(l.BottomElev), Y(l.TopElev)+0.5)
			fmt.Fprintf(&b, `<polygon points="%.1f,%.1f %.1f,%.1f %.1f,%.1f %.1f,%.1f" fill="%s" stroke="#000" stroke-width="0.6"><title>%s %s %s %.2f–%.2f 米</title></polygon>`,
				xt-4, yt, xt+4, yt, xb+4, yb, xb-4, yb, html.EscapeString(l.Color), html.EscapeString(h.HoleNo), html.EscapeString(l.Code), html.EscapeString(l.Name), l.TopDepth, l.BottomDepth)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" fill="#333">%.1f</text>`, xb+6, Y(l.BottomElev)+3, l.BottomDepth)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-weight="bold">%s</text>`, x, Y(h.Collar)-16, html.EscapeString(h.HoleNo))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" font-size="9">孔口 %.2f 孔深 %.1f 偏距 %.0f</text>`, x, Y(h.Collar)-5, h.Collar, h.Depth, h.Offset)
	}
	// Pipes.
	for _, p := range sec.Pipes {
		r := max(p.Size/2*sy, 3)
		fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s" stroke="#000" stroke-width="0.6"/>`, X(p.Distance), Y(p.Elevation), r, html.EscapeString(p.Color))
		label := p.TypeName
		if p.Depth != nil {
			label += fmt.Sprintf(" 埋深%.2f米", *p.Depth)
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="9" transform="rotate(-60 %.1f %.1f)">%s</text>`, X(p.Distance)+r+2, Y(p.Elevation)-r-2, X(p.Distance)+r+2, Y(p.Elevation)-r-2, html.EscapeString(label))
	}
	// Axes.
	fmt.Fprintf(&b, `<g stroke="#000" fill="none"><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/><line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f"/></g>`,
		left, top+ph, left+pw, top+ph, left, top, left, top+ph)
	for _, d := range ticks(0, sec.Length, 10) {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#000"/><text x="%.1f" y="%.0f" text-anchor="middle">%g</text>`, X(d), top+ph, X(d), top+ph+5, X(d), top+ph+18, d)
	}
	for _, z := range ticks(zmin, zmax, 8) {
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#000"/><text x="%.0f" y="%.1f" text-anchor="end">%g</text>`, left-5, Y(z), left, Y(z), left-8, Y(z)+4, z)
		fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd" stroke-dasharray="2,3"/>`, left, Y(z), left+pw, Y(z))
	}
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle">距离（米）</text>`, left+pw/2, H-15)
	fmt.Fprintf(&b, `<text x="18" y="%.0f" text-anchor="middle" transform="rotate(-90 18 %.0f)">高程（米，1985国家高程基准）</text>`, top+ph/2, top+ph/2)
	// Legend.
	lx := left + pw + 20
	fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-weight="bold">图例</text>`, lx, top+10)
	for i, l := range sec.Legend {
		y := top + 24 + float64(i)*20
		fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="18" height="12" fill="%s" stroke="#555"/><text x="%.0f" y="%.0f">%s %s</text>`,
			lx, y, html.EscapeString(l.Color), lx+24, y+10, html.EscapeString(l.Code), html.EscapeString(l.Name))
	}
	y := top + 34 + float64(len(sec.Legend))*20
	fmt.Fprintf(&b, `<line x1="%.0f" y1="%.0f" x2="%.0f" y2="%.0f" stroke="#2e7d32" stroke-width="2"/><text x="%.0f" y="%.0f">地面线</text>`, lx, y, lx+18, y, lx+24, y+4)
	if len(sec.Strata) == 0 && len(sec.Boreholes) == 0 && len(sec.Pipes) == 0 {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" text-anchor="middle" fill="#888">剖线下无地质模型、钻孔或管线</text>`, left+pw/2, top+ph/2)
	}
	b.WriteString(`</svg>`)
	return []byte(b.String())
}

// ticks returns round values between lo and hi, about n of them.
func ticks(lo, hi float64, n int) []float64 {
	if hi <= lo {
		return nil
	}
	raw := (hi - lo) / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, m := range []float64{1, 2, 5, 10} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	var out []float64
	for v := math.Ceil(lo/step) * step; v <= hi+1e-9; v += step {
		out = append(out, math.Round(v/step)*step)
	}
	return out
}
