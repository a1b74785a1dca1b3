package server

import (
	"bytes"
	"encoding/json"
	"html/template"
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/yitu-gis/yitu/spatial"
	"github.com/yitu-gis/yitu/spatial/features"
)

// The HTML pages are the JSON documents shown to a person: links as links, objects as tables.
var pageTemplate = template.Must(template.New("page").Funcs(template.FuncMap{
	"isMap":  func(v any) bool { _, ok := v.(map[string]any); return ok },
	"isList": func(v any) bool { _, ok := v.([]any); return ok },
	"keys": func(m map[string]any) []string {
		ks := make([]string, 0, len(m))
		for k := range m {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		return ks
	},
	"isLink": func(v any) bool {
		m, ok := v.(map[string]any)
		_, href := m["href"]
		return ok && href
	},
	"str": func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		b, _ := json.Marshal(v)
		return string(b)
	},
}).Parse(`{{define "value"}}{{if isLink .}}<a href="{{str .href}}">{{if .title}}{{str .title}}{{else}}{{str .rel}}{{end}}</a> <small>{{str .rel}} {{str .type}}</small>{{else if isMap .}}<table>{{range $k := keys .}}<tr><th>{{$k}}</th><td>{{template "value" index $ $k}}</td></tr>{{end}}</table>{{else if isList .}}<ol>{{range .}}<li>{{template "value" .}}</li>{{end}}</ol>{{else}}{{str .}}{{end}}{{end}}
<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · 一图 Yitu</title>
<style>body{font:15px/1.5 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;margin:2em auto;max-width:72em;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.3em 0}th,td{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f5f5f5;font-weight:600}small{color:#888}nav a{margin-right:1em}</style></head>
<body><nav><a href="/?f=html">一图 Yitu</a><a href="/collections?f=html">图层 Collections</a><a href="/api?f=html">接口 API</a><a href="/conformance?f=html">符合性 Conformance</a></nav>
<h1>{{.Title}}</h1>{{if .Rows}}<table><tr><th>id</th>{{range .Columns}}<th>{{.}}</th>{{end}}</tr>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</table>
{{if .Next}}<p><a href="{{.Next}}">下一页 Next page</a></p>{{end}}{{end}}
{{if .Doc}}{{template "value" .Doc}}{{end}}</body></html>`))

type page struct {
	Title   string
	Doc     any
	Columns []string
	Rows    [][]string
	Next    string
}

func renderPage(c *fiber.Ctx, p page) error {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/html; charset=utf-8")
	return c.Send(buf.Bytes())
}

// renderHTML shows a JSON document (any value that marshals) as a page.
func renderHTML(c *fiber.Ctx, title string, doc any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return renderPage(c, page{Title: title, Doc: v})
}

// renderItemsHTML shows a page of features as a table of their properties (an HTML page is small:
// it is read whole).
func renderItemsHTML(c *fiber.Ctx, l *spatial.Layer, cur *features.Cursor, links []link, next link) error {
	var buf bytes.Buffer
	buf.WriteByte('[')
	if err := cur.WriteFeatures(&buf); err != nil {
		return err
	}
	buf.WriteByte(']')
	var feats []struct {
		ID         any            `json:"id"`
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(buf.Bytes(), &feats); err != nil {
		return err
	}
	p := page{Title: l.Title(lang(c)) + " — 要素 Features", Doc: map[string]any{"links": links}}
	for _, prop := range l.Properties {
		p.Columns = append(p.Columns, prop.TitleZh)
	}
	for _, f := range feats {
		row := []string{strings.Trim(jsonString(f.ID), `"`)}
		for _, prop := range l.Properties {
			v := f.Properties[prop.Name]
			if v == nil {
				row = append(row, "")
				continue
			}
			row = append(row, strings.Trim(jsonString(v), `"`))
		}
		p.Rows = append(p.Rows, row)
	}
	if cur.Page().HasNext {
		p.Next = strings.Replace(next.Href, "f=json", "f=html", 1)
	}
	return renderPage(c, p)
}

func jsonString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}
